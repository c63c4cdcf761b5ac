/**
 * Owns the language client: starts the Argus server with the command the settings name,
 * restarts it when that command changes, and reflects its state in the status bar.
 */
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";

import { CLIENT_COMMANDS, type CommandHost } from "./commands";
import {
  buildServerCommand,
  CONFIGURATION_SECTION,
  describeCommand,
  readSettings,
  resolveServer,
  SUPPORTED_LANGUAGES,
  SUPPORTED_SCHEMES,
  toInitializationOptions,
  type ArgusSettings,
} from "./config";
import { bundledWheel, chooseServer, InstallError, installServer, type InstallHost } from "./install";
import { activeInterpreter, type PythonExtensionApi } from "./python";
import { CrashHistory } from "./restarts";

const CLIENT_ID = "argus";
const CLIENT_NAME = "Argus";

/** Where the extension may keep and find its own server (from the ExtensionContext). */
export interface OwnServer {
  /** The extension's global storage folder, home of the private environment. */
  readonly storageFolder: string;
  /** The installed extension's folder, which carries the server wheel. */
  readonly extensionFolder: string;
  /** The extension's version: the wheel's, and the one the private environment must have. */
  readonly version: string;
}

/** Processes and files for the installer, through Node. */
function nodeInstallHost(output: vscode.LogOutputChannel): InstallHost {
  return {
    run: (command, args, timeoutMs) =>
      new Promise((resolve) => {
        execFile(command, [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
          resolve({ code, stdout, stderr: error !== null && stderr === "" ? error.message : stderr });
        });
      }),
    exists: (file) =>
      fs.access(file).then(
        () => true,
        () => false,
      ),
    remove: (folder) => fs.rm(folder, { recursive: true, force: true }),
    log: (line) => {
      output.info(line);
    },
  };
}

/** Starts, stops and restarts the Argus language client, one operation at a time. */
export class ServerController implements CommandHost {
  private client: LanguageClient | undefined;
  private readonly retiring = new WeakSet<LanguageClient>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly status: vscode.StatusBarItem,
    private readonly pythonExtension: () => Promise<PythonExtensionApi | undefined>,
    private readonly ownServer?: OwnServer,
  ) {}

  /** Starts the server; a failure is logged and shown, never thrown. */
  start(): Promise<void> {
    return this.enqueue(() => this.startNow());
  }

  /** Stops the server if it runs. */
  stop(): Promise<void> {
    return this.enqueue(() => this.stopNow());
  }

  /** Stops the server and starts it again with the current settings. */
  restartServer(): Promise<void> {
    // From now on the old client forwards no settings: its server is about to be replaced,
    // and a notification racing the shutdown would only surface as an error message.
    if (this.client !== undefined) {
      this.retiring.add(this.client);
    }
    return this.enqueue(async () => {
      await this.stopNow();
      await this.startNow();
    });
  }

  showOutput(): void {
    this.output.show(true);
  }

  appendOutput(text: string): void {
    this.output.appendLine(text);
  }

  async executeServerCommand(command: string, argument: object): Promise<unknown> {
    const client = this.client;
    if (client === undefined || client.state !== State.Running) {
      void vscode.window.showWarningMessage("Argus: the language server is not running; see the Argus output.");
      return undefined;
    }
    try {
      return await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [argument] });
    } catch (error) {
      // The server's refusals (no function at the cursor, generation turned off) are messages
      // for the user, not failures of the extension.
      const reason = error instanceof Error ? error.message : "the request failed";
      this.output.warn(`${command}: ${reason}`);
      void vscode.window.showWarningMessage(`Argus: ${reason}`);
      return undefined;
    }
  }

  private enqueue(operation: () => Promise<void>): Promise<void> {
    const next = this.queue.then(operation, operation);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private currentSettings(): ArgusSettings {
    const section = vscode.workspace.getConfiguration(CONFIGURATION_SECTION);
    const { settings, problems } = readSettings((key) => section.get(key));
    for (const problem of problems) {
      this.output.warn(problem);
    }
    return settings;
  }

  private async startNow(): Promise<void> {
    const settings = this.currentSettings();
    const folder = vscode.workspace.workspaceFolders?.find((candidate) => candidate.uri.scheme === "file");
    let server = await resolveServer(settings, {
      home: os.homedir(),
      workspaceFolder: folder?.uri.fsPath,
      pythonExtensionInterpreter: async () => activeInterpreter(await this.pythonExtension(), folder?.uri),
    });
    if (server.interpreter !== undefined && server.interpreter.source !== "setting" && this.ownServer !== undefined) {
      // No setting names the server: use the extension's own, installing it when asked.
      const python = await this.serverInterpreter(server.interpreter.path, this.ownServer);
      if (python !== undefined && python !== server.interpreter.path) {
        server = {
          command: buildServerCommand(settings, python, { home: os.homedir(), workspaceFolder: folder?.uri.fsPath }),
          interpreter: { path: python, source: server.interpreter.source },
        };
        this.output.info(`Using the extension's own server environment: ${python}`);
      }
    }
    const commandLine = describeCommand(server.command);
    if (server.interpreter !== undefined) {
      this.output.info(`Python interpreter from ${server.interpreter.source}: ${server.interpreter.path}`);
    }
    this.output.info(`Starting the Argus language server: ${commandLine}`);

    const executable = {
      command: server.command.command,
      args: [...server.command.args],
      options: { ...server.command.options },
      transport: TransportKind.stdio,
    };
    const serverOptions: ServerOptions = { run: executable, debug: executable };
    const crashes = new CrashHistory();
    let hadStarted = false;
    const clientOptions: LanguageClientOptions = {
      documentSelector: SUPPORTED_SCHEMES.flatMap((scheme) =>
        SUPPORTED_LANGUAGES.map((language) => ({ scheme, language })),
      ),
      // The server takes settings both ways: pushed with didChangeConfiguration (this option)
      // and pulled with workspace/configuration, which the client answers by default.
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      synchronize: { configurationSection: CONFIGURATION_SECTION },
      initializationOptions: () => toInitializationOptions(this.currentSettings()),
      outputChannel: this.output,
      // No retry and no extra pop-ups: startNow reports the failure once, with what to do.
      initializationFailedHandler: () => false,
      errorHandler: {
        // A few unreadable messages are survivable; a stream of them means a broken server.
        error: (_error, _message, count) => ({
          action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
        }),
        closed: () => {
          const decision = crashes.onCrash(Date.now(), hadStarted);
          if (decision.restart) {
            return { action: CloseAction.Restart };
          }
          // Before the start finished, startNow's own message says what to do.
          return { action: CloseAction.DoNotRestart, message: decision.reason, handled: !hadStarted };
        },
      },
      middleware: {
        workspace: {
          didChangeConfiguration: (sections, next) =>
            this.retiring.has(client) ? Promise.resolve() : next(sections),
        },
      },
    };
    const client: LanguageClient = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    client.onDidChangeState((event) => {
      hadStarted ||= event.newState === State.Running;
      this.showState(event.newState, commandLine);
    });
    this.client = client;
    this.showState(State.Starting, commandLine);
    let failure: unknown;
    try {
      await client.start();
    } catch (error) {
      failure = error;
    }
    // start() can resolve although the server died during start-up, so the state decides.
    if (client.state !== State.Running) {
      this.client = undefined;
      this.showState(State.Stopped, commandLine);
      const reason = failure instanceof Error ? failure.message : "the server exited during start-up";
      this.output.error(`Could not start the Argus language server (${commandLine}): ${reason}`);
      void this.offerHelp(commandLine, server.interpreter === undefined);
    }
  }

  /**
   * The interpreter with a usable server: the private environment, else `interpreter` when it
   * has Argus, else (when the person agrees) a new private environment made with it.
   */
  private async serverInterpreter(interpreter: string, own: OwnServer): Promise<string | undefined> {
    const host = nodeInstallHost(this.output);
    const choice = await chooseServer(host, { storageFolder: own.storageFolder, version: own.version, interpreter });
    if (choice.kind !== "install") {
      return choice.python;
    }
    const answer = await vscode.window.showInformationMessage(
      `Argus needs its language server, and ${interpreter} does not have it. ` +
        "Install it into a private environment of the extension (a few minutes, once)?",
      "Install",
      "Open settings",
    );
    if (answer === "Open settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "@ext:argus.argus");
      return undefined;
    }
    if (answer !== "Install") {
      return undefined;
    }
    this.status.text = "$(sync~spin) Argus";
    this.status.tooltip = "Installing the Argus language server";
    this.status.show();
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: "Argus: installing the language server" },
        () =>
          installServer(host, {
            basePython: choice.basePython,
            storageFolder: own.storageFolder,
            wheel: bundledWheel(own.extensionFolder, own.version),
            version: own.version,
          }),
      );
    } catch (error) {
      const reason = error instanceof InstallError ? error.message : String(error);
      this.output.error(`Installing the Argus language server failed: ${reason}`);
      void vscode.window.showErrorMessage(`Argus could not install its language server: ${reason.split("\n")[0]}`);
      return undefined;
    }
  }

  private async stopNow(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    // A client whose server never started, or has stopped for good, has nothing to shut down.
    if (client === undefined || client.state === State.Stopped) {
      return;
    }
    try {
      await client.dispose(2000);
    } catch (error) {
      // A server that died already cannot be asked to shut down; the new one starts regardless.
      this.output.warn(`Stopping the Argus language server: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private showState(state: State, commandLine: string): void {
    const labels: Record<State, [string, string]> = {
      [State.Starting]: ["$(sync~spin) Argus", "starting"],
      [State.Running]: ["$(pulse) Argus", "running"],
      [State.Stopped]: ["$(error) Argus", "stopped"],
    };
    const [text, word] = labels[state];
    this.status.text = text;
    this.status.tooltip = `Argus language server ${word}: ${commandLine}\nClick to show the output.`;
    this.status.command = CLIENT_COMMANDS.showOutput;
    this.status.show();
  }

  private async offerHelp(commandLine: string, usedServerPath: boolean): Promise<void> {
    const hint = usedServerPath
      ? "Check the argus.serverPath setting."
      : "Check that the interpreter exists and has Argus installed (`pip install .` in the Argus checkout), " +
        "or set argus.interpreter or argus.serverPath.";
    const choice = await vscode.window.showErrorMessage(
      `Argus could not start its language server with \`${commandLine}\`. ${hint}`,
      "Show output",
      "Open settings",
    );
    if (choice === "Show output") {
      this.showOutput();
    } else if (choice === "Open settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "@ext:argus.argus");
    }
  }
}
