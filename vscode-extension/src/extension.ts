/**
 * Entry point: creates the output channel and status bar item, registers the commands,
 * starts the Argus language server and restarts it when the settings that name its command
 * (or the Python extension's active interpreter) change.
 */
import * as vscode from "vscode";

import { ServerController } from "./client";
import { registerCommands } from "./commands";
import { CONFIGURATION_SECTION, needsRestart, readSettings, SUPPORTED_LANGUAGES } from "./config";
import { loadPythonExtension, type PythonExtensionApi } from "./python";

let controller: ServerController | undefined;

/** Called by VS Code on the first activation event. */
export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("Argus", { log: true });
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 50);
  status.name = "Argus";
  context.subscriptions.push(output, status);

  let pythonApi: Promise<PythonExtensionApi | undefined> | undefined;
  const pythonExtension = (): Promise<PythonExtensionApi | undefined> => {
    pythonApi ??= loadPythonExtension().catch((error: unknown) => {
      output.warn(`The Python extension did not answer: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    });
    return pythonApi;
  };

  const server = new ServerController(output, status, pythonExtension, {
    storageFolder: context.globalStorageUri.fsPath,
    extensionFolder: context.extensionPath,
    version: (context.extension.packageJSON as { version: string }).version,
  });
  controller = server;
  context.subscriptions.push(...registerCommands(server));
  await vscode.commands.executeCommand("setContext", "argus.supportedLanguages", [...SUPPORTED_LANGUAGES]);

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (needsRestart((section) => event.affectsConfiguration(section))) {
        output.info("The server command changed; restarting the Argus language server.");
        void server.restartServer();
      }
    }),
  );

  void server.start();
  void followPythonInterpreter(context, server, output, pythonExtension);
}

/** Restarts the server when the Python extension's interpreter changes and no setting overrides it. */
async function followPythonInterpreter(
  context: vscode.ExtensionContext,
  server: ServerController,
  output: vscode.LogOutputChannel,
  pythonExtension: () => Promise<PythonExtensionApi | undefined>,
): Promise<void> {
  const onInterpreterChange = (await pythonExtension())?.environments?.onDidChangeActiveEnvironmentPath;
  if (onInterpreterChange === undefined) {
    return;
  }
  context.subscriptions.push(
    onInterpreterChange(() => {
      const section = vscode.workspace.getConfiguration(CONFIGURATION_SECTION);
      const { settings } = readSettings((key) => section.get(key));
      if (settings.interpreter === "" && settings.serverPath === "") {
        output.info("The Python extension's interpreter changed; restarting the Argus language server.");
        void server.restartServer();
      }
    }),
  );
}

/** Called by VS Code on shutdown: stops the server cleanly. */
export async function deactivate(): Promise<void> {
  const current = controller;
  controller = undefined;
  await current?.stop();
}
