import { fileURLToPath } from "node:url";

import { defineConfig } from "vitest/config";

// The real `vscode` module only exists inside the editor; tests get a small fake instead.
export default defineConfig({
  resolve: {
    alias: {
      vscode: fileURLToPath(new URL("./test/fake-vscode.ts", import.meta.url)),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
