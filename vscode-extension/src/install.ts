/**
 * The extension's own server: a private virtual environment in the extension's global storage
 * with the Argus wheel that ships inside the .vsix (the same version as the extension).
 * Nothing here touches the editor: processes and files come in through {@link InstallHost},
 * so the logic is tested with a stand-in host and the install itself with a real `python3`.
 */
import * as path from "node:path";

/** A finished process: its exit code (null when killed) and its output. */
export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What the installer needs from the machine. */
export interface InstallHost {
  /** Runs a program without a shell and resolves when it ends (never rejects on exit codes). */
  run(command: string, args: readonly string[], timeoutMs: number): Promise<ProcessResult>;
  exists(file: string): Promise<boolean>;
  /** Removes a folder and everything in it (a half-made environment). */
  remove(folder: string): Promise<void>;
  log(line: string): void;
}

/** The folder of the private environment inside the extension's global storage. */
export const ENVIRONMENT_FOLDER = "server-venv";
/** The wheel inside the extension, as `make vsix` puts it there. */
export const WHEEL_FOLDER = "server";
/** The distribution the wheel installs (the command stays `argus`). */
export const DISTRIBUTION = "argus-pr";

const PROBE =
  "import importlib.metadata as m, argus.lsp_server; print(m.version('" + DISTRIBUTION + "'))";
const PROBE_TIMEOUT_MS = 30_000;
const VENV_TIMEOUT_MS = 120_000;
const PIP_TIMEOUT_MS = 15 * 60_000;

/** The interpreter of the private environment under `storageFolder`. */
export function environmentPython(storageFolder: string, platform: NodeJS.Platform = process.platform): string {
  const folder = path.join(storageFolder, ENVIRONMENT_FOLDER);
  return platform === "win32" ? path.join(folder, "Scripts", "python.exe") : path.join(folder, "bin", "python");
}

/** The wheel the extension carries for its own version. */
export function bundledWheel(extensionFolder: string, version: string): string {
  return path.join(extensionFolder, WHEEL_FOLDER, `argus_pr-${version}-py3-none-any.whl`);
}

/** The Argus version an interpreter has installed with its language server, or undefined. */
export async function installedVersion(host: InstallHost, python: string): Promise<string | undefined> {
  let result: ProcessResult;
  try {
    result = await host.run(python, ["-P", "-c", PROBE], PROBE_TIMEOUT_MS);
  } catch {
    return undefined;
  }
  const version = result.stdout.trim();
  return result.code === 0 && /^\d+(\.\d+)*\S*$/.test(version) ? version : undefined;
}

/** Why an install failed, in words for the person who asked for it. */
export class InstallError extends Error {}

/** The last lines of a failed command's output: what pip says is wrong is at the end. */
function tail(result: ProcessResult, lines = 6): string {
  const text = `${result.stdout}\n${result.stderr}`.trim().split("\n");
  return text.slice(-lines).join("\n");
}

/**
 * Creates the private environment with `basePython`, installs the bundled wheel into it and
 * checks the result answers with the expected version; returns its interpreter. A failure
 * removes the half-made environment and throws an {@link InstallError} that says why.
 */
export async function installServer(
  host: InstallHost,
  options: { basePython: string; storageFolder: string; wheel: string; version: string },
): Promise<string> {
  if (!(await host.exists(options.wheel))) {
    throw new InstallError(`the extension has no server wheel at ${options.wheel}; reinstall the extension`);
  }
  const folder = path.join(options.storageFolder, ENVIRONMENT_FOLDER);
  const python = environmentPython(options.storageFolder);
  await host.remove(folder);
  host.log(`Creating a private Python environment in ${folder} with ${options.basePython}`);
  const venv = await host.run(options.basePython, ["-m", "venv", folder], VENV_TIMEOUT_MS);
  if (venv.code !== 0) {
    await host.remove(folder);
    throw new InstallError(
      `${options.basePython} could not create a virtual environment (is it Python 3.11 or newer, ` +
        `with the venv module?):\n${tail(venv)}`,
    );
  }
  host.log(`Installing ${path.basename(options.wheel)} and its dependencies`);
  const pip = await host.run(
    python,
    ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", options.wheel],
    PIP_TIMEOUT_MS,
  );
  if (pip.code !== 0) {
    await host.remove(folder);
    throw new InstallError(`pip could not install the Argus server:\n${tail(pip)}`);
  }
  const version = await installedVersion(host, python);
  if (version !== options.version) {
    await host.remove(folder);
    throw new InstallError(
      `the installed server answers with version ${version ?? "none"}, expected ${options.version}`,
    );
  }
  host.log(`Installed Argus ${version} in ${folder}`);
  return python;
}

/** Where the server comes from, in the order the extension tries them. */
export type ServerChoice =
  | { readonly kind: "private"; readonly python: string }
  | { readonly kind: "interpreter"; readonly python: string }
  | { readonly kind: "install"; readonly basePython: string };

/**
 * Picks the interpreter to run the server: the private environment when it holds this
 * version, else the resolved interpreter (Python extension's or `python3`) when it has Argus,
 * else an install into the private environment with that interpreter.
 */
export async function chooseServer(
  host: InstallHost,
  options: { storageFolder: string; version: string; interpreter: string },
): Promise<ServerChoice> {
  const privatePython = environmentPython(options.storageFolder);
  if ((await host.exists(privatePython)) && (await installedVersion(host, privatePython)) === options.version) {
    return { kind: "private", python: privatePython };
  }
  if ((await installedVersion(host, options.interpreter)) !== undefined) {
    return { kind: "interpreter", python: options.interpreter };
  }
  return { kind: "install", basePython: options.interpreter };
}
