// End-to-end check of the packaged bundle outside the editor: loads dist/extension.js with a
// stand-in `vscode` module, activates it against the real Argus language server, and checks
// the life cycle the unit tests cannot: the server starts over stdio and registers its
// commands, a change of argus.serverPath restarts it with the new command, and an interpreter
// without Argus ends in one clear error instead of a crash.
//
// Usage: node test/e2e/lifecycle.cjs <python-with-argus>   (run from vscode-extension/)
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const Module = require("node:module");
const os = require("node:os");
const path = require("node:path");

const python = path.resolve(process.argv[2] ?? "../.venv/bin/python");
const argusExecutable = path.join(path.dirname(python), "argus");
const extensionRoot = path.resolve(__dirname, "../..");
const bundle = path.join(extensionRoot, "dist", "extension.js");
const manifest = JSON.parse(fs.readFileSync(path.join(extensionRoot, "package.json"), "utf8"));
// An interpreter without Argus: the one that made the Argus venv (`python -m venv` records it).
const basePython = (() => {
  const config = fs.readFileSync(path.join(path.dirname(python), "..", "pyvenv.cfg"), "utf8");
  const home = /^home\s*=\s*(.+)$/m.exec(config)[1].trim();
  return ["python3", "python"].map((name) => path.join(home, name)).find((file) => fs.existsSync(file));
})();
const unhandled = [];
process.on("unhandledRejection", (error) => unhandled.push(error));

/** A recorder of what the extension shows, and an editor API just wide enough for it. */
function makeEditor(folder, settings, answers = {}) {
  const events = { statuses: [], errors: [], commands: new Set(), log: [], offers: [] };
  const configurationListeners = [];
  const disposable = { dispose() {} };
  const noEvent = () => disposable;
  // Any API member the extension or the client library touches without needing a value.
  const inert = new Proxy(function inert() {}, {
    get: (target, property) => (property === "then" ? undefined : inert),
    apply: () => inert,
    construct: () => inert,
  });
  const withDefaults = (object) =>
    new Proxy(object, { get: (target, property) => (property in target ? target[property] : inert) });
  const channel = (name) =>
    withDefaults({
      name,
      ...Object.fromEntries(
        ["append", "appendLine", "info", "warn", "error", "debug", "trace"].map((level) => [
          level,
          (message) => events.log.push(`${level}: ${String(message).trimEnd()}`),
        ]),
      ),
      show() {},
      dispose() {},
    });
  const folderUri = { scheme: "file", fsPath: folder, path: folder, toString: () => `file://${folder}` };
  const vscode = withDefaults({
    version: "1.85.0",
    env: { appName: "Visual Studio Code", language: "en", machineId: "e2e", sessionId: "e2e", uriScheme: "vscode" },
    StatusBarAlignment: { Left: 1, Right: 2 },
    SymbolKind: { Module: 1, Namespace: 2, Class: 4, Method: 5, Constructor: 8, Enum: 9, Interface: 10,
      Function: 11, Variable: 12, Constant: 13, Object: 18, Struct: 22 },
    Disposable: class { constructor(callback) { this.callback = callback; } dispose() { this.callback?.(); }
      static from(...items) { return { dispose: () => items.forEach((item) => item.dispose()) }; } },
    EventEmitter: class { constructor() { this.listeners = []; this.event = (listener) => { this.listeners.push(listener); return disposable; }; }
      fire(value) { this.listeners.forEach((listener) => listener(value)); } dispose() {} },
    Uri: { file: (fsPath) => ({ ...folderUri, fsPath, path: fsPath, toString: () => `file://${fsPath}` }),
      parse: (text) => ({ scheme: text.split(":")[0], fsPath: text.replace(/^file:\/\//, ""), toString: () => text }) },
    workspace: withDefaults({
      workspaceFolders: [{ uri: folderUri, name: path.basename(folder), index: 0 }],
      textDocuments: [],
      isTrusted: true,
      getConfiguration: (section) => ({
        get: (key, fallback) => {
          const name = section ? `${section}.${key}` : key;
          return name in settings ? settings[name] : fallback;
        },
        has: () => false,
        inspect: () => undefined,
      }),
      onDidChangeConfiguration: (listener) => { configurationListeners.push(listener); return disposable; },
      onDidOpenTextDocument: noEvent, onDidCloseTextDocument: noEvent, onDidChangeTextDocument: noEvent,
      onDidSaveTextDocument: noEvent, onWillSaveTextDocument: noEvent, onDidChangeWorkspaceFolders: noEvent,
      createFileSystemWatcher: () => withDefaults({ dispose() {} }),
    }),
    window: withDefaults({
      tabGroups: { all: [], onDidChangeTabs: noEvent, onDidChangeTabGroups: noEvent },
      visibleTextEditors: [],
      activeTextEditor: undefined,
      createOutputChannel: channel,
      createStatusBarItem: () => ({ show() {}, hide() {}, dispose() {}, set text(text) { events.statuses.push(text); } }),
      showErrorMessage: (message) => { events.errors.push(message); return Promise.resolve(undefined); },
      showWarningMessage: () => Promise.resolve(undefined),
      showInformationMessage: (message, ...choices) => {
        events.offers.push(message);
        return Promise.resolve(choices.includes(answers.offer) ? answers.offer : undefined);
      },
      withProgress: (options, task) => task({ report() {} }, { isCancellationRequested: false }),
    }),
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    extensions: {
      // The Python extension, when the scenario has one, names `answers.interpreter` as active.
      getExtension: (id) =>
        id === "ms-python.python" && answers.interpreter !== undefined
          ? { isActive: true, exports: { environments: {
              getActiveEnvironmentPath: () => ({ id: answers.interpreter, path: answers.interpreter }),
              resolveEnvironment: () => Promise.resolve({ executable: { uri: { fsPath: answers.interpreter } } }),
            } } }
          : undefined,
      all: [],
    },
    commands: withDefaults({
      registerCommand: (id) => { events.commands.add(id); return { dispose: () => events.commands.delete(id) }; },
      executeCommand: () => Promise.resolve(undefined),
    }),
  });
  const changeSetting = (name, value) => {
    settings[name] = value;
    configurationListeners.forEach((listener) =>
      listener({ affectsConfiguration: (section) => section === name || section === "argus" }));
  };
  return { vscode, events, changeSetting };
}

async function waitFor(description, condition, timeoutMs = 60_000) {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out waiting until ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function run(settings, scenario, answers = {}) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "argus-vscode-e2e-"));
  // The workspace has packages named like Argus's own and like one of its parts (a Django
  // project's `core` app); the server started in it must still import its own.
  for (const name of ["argus", "core"]) {
    fs.mkdirSync(path.join(folder, name));
    fs.writeFileSync(path.join(folder, name, "__init__.py"), `raise ImportError('the project ${name} package')\n`);
  }
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), "argus-vscode-storage-"));
  const editor = makeEditor(folder, settings, answers);
  const originalLoad = Module._load;
  Module._load = function load(request, ...rest) {
    return request === "vscode" ? editor.vscode : originalLoad.call(this, request, ...rest);
  };
  Reflect.deleteProperty(require.cache, bundle);
  const extension = require(bundle);
  Module._load = originalLoad;
  try {
    await extension.activate({
      subscriptions: [],
      extensionPath: extensionRoot,
      globalStorageUri: { scheme: "file", fsPath: storage, path: storage },
      extension: { packageJSON: manifest },
    });
    await scenario(editor, storage);
  } catch (error) {
    console.error(editor.events.log.join("\n"));
    throw error;
  } finally {
    await extension.deactivate();
    fs.rmSync(folder, { recursive: true, force: true });
    fs.rmSync(storage, { recursive: true, force: true });
  }
}

const running = "$(pulse) Argus";
const stopped = "$(error) Argus";
const checks = [
  ["starts the server, which registers its commands, and restarts it on a new argus.serverPath",
    () => run({ "argus.interpreter": python }, async ({ events, changeSetting }) => {
      await waitFor("the server runs", () => events.statuses.includes(running));
      // The client registers the server's commands as it processes the server's capabilities,
      // which may come just after the status turns to running on a loaded machine.
      await waitFor("argus.generateTest comes from the server", () => events.commands.has("argus.generateTest"));
      await waitFor("argus.explain comes from the server", () => events.commands.has("argus.explain"));
      assert.ok(events.log.some((line) => line.includes(`${python} -P -m argus.lsp_server`)));
      events.statuses.length = 0;
      changeSetting("argus.serverPath", `${argusExecutable} lsp`);
      await waitFor("the new server runs", () => events.statuses.includes(running));
      assert.ok(events.log.some((line) => line.includes(`Starting the Argus language server: ${argusExecutable} lsp`)));
      assert.deepEqual(events.errors, []);
    })],
  // `/usr/bin/env -m argus.lsp_server` exits at once with an error, like an interpreter without Argus.
  ["reports a server that cannot start once, with what to do",
    () => run({ "argus.interpreter": "/usr/bin/env" }, async ({ events }) => {
      await waitFor("the start failed", () => events.statuses.at(-1) === stopped && events.errors.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const ours = events.errors.filter((message) => message.startsWith("Argus could not start its language server"));
      assert.equal(ours.length, 1, events.errors.join("\n"));
    })],
  ["without a server, offers to install its own, installs the bundled wheel and starts it",
    () => run({ "argus.serverPath": "" }, async ({ events }, storage) => {
      await waitFor("the installed server runs", () => events.statuses.includes(running), 600_000);
      assert.equal(events.offers.length, 1, events.offers.join("\n"));
      assert.match(events.offers[0], /Install it into a private environment/);
      const privatePython = path.join(storage, "server-venv", "bin", "python");
      assert.ok(events.log.some((line) => line.includes(`Starting the Argus language server: ${privatePython} -P -m argus.lsp_server`)),
        events.log.join("\n"));
      assert.deepEqual(events.errors, []);
    }, { offer: "Install", interpreter: basePython })],
  ["declining the install ends in the usual error, once",
    () => run({}, async ({ events }) => {
      await waitFor("the start failed", () => events.statuses.at(-1) === stopped && events.errors.length >= 1);
      assert.equal(events.offers.length, 1);
      assert.equal(events.errors.filter((message) => message.startsWith("Argus could not start")).length, 1);
    }, { interpreter: basePython })],
];

(async () => {
  let failed = 0;
  for (const [name, check] of checks) {
    try {
      await check();
      console.log(`ok - ${name}`);
    } catch (error) {
      failed += 1;
      console.log(`not ok - ${name}\n  ${error.stack}`);
    }
  }
  // vscode-languageclient 9 itself leaves rejections unhandled when a server dies while
  // starting (the editor logs and ignores them); count only ours.
  const ourFunctions = /\b(ServerController|registerCommands|activate|followPythonInterpreter|resolveServer|activeInterpreter|loadPythonExtension)\b/;
  const ours = unhandled.filter((error) => ourFunctions.test(String(error?.stack).split("\n")[1] ?? ""));
  if (ours.length > 0) {
    failed += 1;
    console.log(`not ok - unhandled rejections from the extension:\n${ours.map((error) => error.stack).join("\n")}`);
  }
  console.log(`${checks.length - failed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
})();
