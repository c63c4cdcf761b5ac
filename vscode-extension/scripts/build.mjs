// Bundles the extension and its runtime dependencies into dist/extension.js, so the .vsix
// needs no node_modules. `--production` minifies and drops the source map.
import process from "node:process";

import { build } from "esbuild";

const production = process.argv.includes("--production");

await build({
  entryPoints: ["src/extension.ts"],
  outfile: "dist/extension.js",
  bundle: true,
  platform: "node",
  format: "cjs",
  // VS Code 1.85 runs extensions on Node 18.
  target: "node18",
  external: ["vscode"],
  minify: production,
  sourcemap: !production,
  logLevel: "warning",
});
