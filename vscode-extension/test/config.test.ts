import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import {
  buildServerCommand,
  DEFAULT_SETTINGS,
  describeCommand,
  expandPath,
  needsRestart,
  readSettings,
  resolveInterpreter,
  resolveServer,
  splitCommandLine,
  toInitializationOptions,
  type ArgusSettings,
  type Environment,
} from "../src/config";

const HOME = "/home/ada";
const FOLDER = "/work/orders-service";

function settingsFrom(values: Record<string, unknown>): ArgusSettings {
  return readSettings((key) => values[key]).settings;
}

function environment(pythonExtension: () => Promise<string | undefined> = () => Promise.resolve(undefined)): Environment {
  return { home: HOME, workspaceFolder: FOLDER, pythonExtensionInterpreter: pythonExtension };
}

interface ContributedProperty {
  default?: unknown;
  enum?: unknown[];
}

const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  contributes: { configuration: { properties: Record<string, ContributedProperty> } };
};
const contributed = manifest.contributes.configuration.properties;

describe("package.json mirrors the settings", () => {
  const expectedKeys: Record<string, keyof ArgusSettings> = {
    "argus.baseRef": "baseRef",
    "argus.minimumLevel": "minimumLevel",
    "argus.severity": "severity",
    "argus.generateTests": "generateTests",
    "argus.maxFileBytes": "maxFileBytes",
    "argus.debounceMs": "debounceMs",
    "argus.interpreter": "interpreter",
    "argus.serverPath": "serverPath",
    "argus.trace.server": "traceServer",
  };

  it("declares exactly the settings the extension reads", () => {
    expect(Object.keys(contributed).sort()).toEqual(Object.keys(expectedKeys).sort());
  });

  it.each(Object.entries(expectedKeys))("%s has the same default as the code", (key, field) => {
    expect(contributed[key]?.default).toEqual(DEFAULT_SETTINGS[field]);
  });

  it("offers the same choices as the code accepts", () => {
    expect(contributed["argus.minimumLevel"]?.enum).toEqual(["low", "medium", "high"]);
    expect(contributed["argus.trace.server"]?.enum).toEqual(["off", "messages", "verbose"]);
  });
});

describe("readSettings", () => {
  it("defaults every missing value", () => {
    const reading = readSettings(() => undefined);
    expect(reading.settings).toEqual(DEFAULT_SETTINGS);
    expect(reading.problems).toEqual([]);
  });

  it("keeps valid values", () => {
    const settings = settingsFrom({
      baseRef: " main ",
      minimumLevel: "high",
      severity: { high: "error", low: "off" },
      generateTests: false,
      maxFileBytes: 1000,
      debounceMs: 0,
      interpreter: "~/venv/bin/python",
      serverPath: "argus lsp",
      "trace.server": "verbose",
    });
    expect(settings).toEqual({
      baseRef: "main",
      minimumLevel: "high",
      severity: { high: "error", medium: "information", low: "off" },
      generateTests: false,
      maxFileBytes: 1000,
      debounceMs: 0,
      interpreter: "~/venv/bin/python",
      serverPath: "argus lsp",
      traceServer: "verbose",
    });
  });

  it.each([
    ["baseRef", 3, ""],
    ["minimumLevel", "critical", "low"],
    ["generateTests", "yes", true],
    ["maxFileBytes", -1, 500_000],
    ["maxFileBytes", 0, 500_000],
    ["debounceMs", Number.NaN, 25],
    ["interpreter", 3, ""],
    ["trace.server", "loud", "off"],
  ])("replaces a bad %s (%j) with its default and says so", (key, value, expected) => {
    const reading = readSettings((name) => (name === key ? value : undefined));
    const field = key === "trace.server" ? "traceServer" : (key as keyof ArgusSettings);
    expect(reading.settings[field]).toEqual(expected);
    expect(reading.problems).toHaveLength(1);
    expect(reading.problems[0]).toContain(`argus.${key}`);
  });

  it("keeps the valid levels of a partly wrong severity mapping", () => {
    const reading = readSettings((key) => (key === "severity" ? { high: "fatal", medium: "hint", extreme: "error" } : undefined));
    expect(reading.settings.severity).toEqual({ high: "warning", medium: "hint", low: "hint" });
    expect(reading.problems).toHaveLength(2);
  });

  it("rejects a severity that is not an object", () => {
    const reading = readSettings((key) => (key === "severity" ? ["error"] : undefined));
    expect(reading.settings.severity).toEqual(DEFAULT_SETTINGS.severity);
    expect(reading.problems).toHaveLength(1);
  });
});

describe("toInitializationOptions", () => {
  it("sends the server's settings under `argus` and leaves the client-only ones out", () => {
    const settings = settingsFrom({ baseRef: "main", minimumLevel: "medium", interpreter: "/usr/bin/python3", serverPath: "argus lsp" });
    expect(toInitializationOptions(settings)).toEqual({
      argus: {
        baseRef: "main",
        minimumLevel: "medium",
        severity: { high: "warning", medium: "information", low: "hint" },
        generateTests: true,
        maxFileBytes: 500_000,
        debounceMs: 25,
      },
    });
  });

  it("copies the severity mapping, so the server's copy cannot change the settings", () => {
    const settings = settingsFrom({});
    const options = toInitializationOptions(settings);
    expect(options.argus.severity).not.toBe(settings.severity);
  });
});

describe("needsRestart", () => {
  it.each([
    [["argus.interpreter"], true],
    [["argus.serverPath"], true],
    [["argus.baseRef"], false],
    [["argus.severity", "argus.debounceMs"], false],
    [["editor.fontSize"], false],
    [[], false],
  ])("after changes to %j: %s", (changed, expected) => {
    expect(needsRestart((section) => changed.includes(section))).toBe(expected);
  });
});

describe("resolveInterpreter", () => {
  it("prefers the setting over the Python extension", async () => {
    let asked = false;
    const resolved = await resolveInterpreter(
      settingsFrom({ interpreter: "~/envs/argus/bin/python" }),
      environment(() => {
        asked = true;
        return Promise.resolve("/opt/python/bin/python");
      }),
    );
    expect(resolved).toEqual({ path: "/home/ada/envs/argus/bin/python", source: "setting" });
    expect(asked).toBe(false);
  });

  it("uses the Python extension's interpreter when the setting is empty", async () => {
    const resolved = await resolveInterpreter(settingsFrom({}), environment(() => Promise.resolve("/opt/python/bin/python")));
    expect(resolved).toEqual({ path: "/opt/python/bin/python", source: "python-extension" });
  });

  it.each([
    ["no Python extension", () => Promise.resolve(undefined)],
    ["an empty answer", () => Promise.resolve("  ")],
    ["a failing Python extension", () => Promise.reject(new Error("not activated"))],
  ])("falls back to python3 with %s", async (_case, pythonExtension: () => Promise<string | undefined>) => {
    const resolved = await resolveInterpreter(settingsFrom({}), environment(pythonExtension));
    expect(resolved).toEqual({ path: "python3", source: "default" });
  });

  it("expands ${workspaceFolder} in the setting", async () => {
    const resolved = await resolveInterpreter(settingsFrom({ interpreter: "${workspaceFolder}/.venv/bin/python" }), environment());
    expect(resolved.path).toBe("/work/orders-service/.venv/bin/python");
  });
});

describe("buildServerCommand", () => {
  it("runs the module with the interpreter in the workspace folder", () => {
    expect(buildServerCommand(settingsFrom({}), "/usr/bin/python3", environment())).toEqual({
      command: "/usr/bin/python3",
      args: ["-P", "-m", "argus.lsp_server"],
      options: { cwd: FOLDER },
    });
  });

  it("runs argus.serverPath instead, split into program and arguments", () => {
    const command = buildServerCommand(settingsFrom({ serverPath: "~/.local/bin/argus lsp --log-level debug" }), "python3", environment());
    expect(command).toEqual({
      command: "/home/ada/.local/bin/argus",
      args: ["lsp", "--log-level", "debug"],
      options: { cwd: FOLDER },
    });
  });

  it("keeps a quoted path with spaces whole and expands variables in arguments", () => {
    const command = buildServerCommand(
      settingsFrom({ serverPath: `"/opt/My Tools/argus" lsp --config "\${workspaceFolder}/.argus.yml"` }),
      "python3",
      environment(),
    );
    expect(command.command).toBe("/opt/My Tools/argus");
    expect(command.args).toEqual(["lsp", "--config", "/work/orders-service/.argus.yml"]);
  });

  it("has no cwd without a workspace folder", () => {
    const command = buildServerCommand(settingsFrom({}), "python3", { home: HOME, workspaceFolder: undefined });
    expect(command.options).toEqual({});
  });
});

describe("resolveServer", () => {
  it("does not ask the Python extension when argus.serverPath names the command", async () => {
    let asked = false;
    const server = await resolveServer(
      settingsFrom({ serverPath: "argus lsp" }),
      environment(() => {
        asked = true;
        return Promise.resolve("/opt/python/bin/python");
      }),
    );
    expect(server.interpreter).toBeUndefined();
    expect(server.command.command).toBe("argus");
    expect(asked).toBe(false);
  });

  it.each(["   ", "''", '"" lsp'])("falls back to the module when argus.serverPath is %j", async (serverPath) => {
    const server = await resolveServer(settingsFrom({ serverPath }), environment(() => Promise.resolve("/opt/py")));
    expect(server.command).toEqual({ command: "/opt/py", args: ["-P", "-m", "argus.lsp_server"], options: { cwd: FOLDER } });
    expect(server.interpreter?.source).toBe("python-extension");
  });
});

describe("splitCommandLine", () => {
  it.each([
    ["argus lsp", ["argus", "lsp"]],
    ["  argus   lsp  ", ["argus", "lsp"]],
    ["'/a b/argus' lsp", ["/a b/argus", "lsp"]],
    ['"/a b/argus" "x\\"y"', ["/a b/argus", 'x"y']],
    ["/a\\ b/argus lsp", ["/a b/argus", "lsp"]],
    ["argus ''", ["argus", ""]],
    ["argus 'unterminated quote", ["argus", "unterminated quote"]],
    ["C:\\\\Tools\\\\argus.exe lsp", ["C:\\Tools\\argus.exe", "lsp"]],
    ["", []],
  ])("%j -> %j", (text, words) => {
    expect(splitCommandLine(text)).toEqual(words);
  });
});

describe("expandPath", () => {
  it.each([
    ["~", HOME],
    ["~/bin/argus", "/home/ada/bin/argus"],
    ["~other/bin", "~other/bin"],
    ["/usr/bin/python3", "/usr/bin/python3"],
    ["${userHome}/x", "/home/ada/x"],
    ["a~/b", "a~/b"],
  ])("%s -> %s", (path, expected) => {
    expect(expandPath(path, { home: HOME, workspaceFolder: FOLDER })).toBe(expected);
  });

  it("leaves ${workspaceFolder} as written when no folder is open", () => {
    expect(expandPath("${workspaceFolder}/.venv/bin/python", { home: HOME, workspaceFolder: undefined })).toBe(
      "${workspaceFolder}/.venv/bin/python",
    );
  });
});

describe("describeCommand", () => {
  it("quotes the words that need it", () => {
    expect(describeCommand({ command: "/opt/My Tools/argus", args: ["lsp", "it's"], options: {} })).toBe(
      "'/opt/My Tools/argus' lsp 'it'\\''s'",
    );
  });
});
