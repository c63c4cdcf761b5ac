/**
 * The Python extension (`ms-python.python`) as a source of the interpreter: its public
 * `environments` API names the active environment, and resolving that environment gives the
 * executable. Only the few members Argus uses are typed here.
 */
import * as vscode from "vscode";

export const PYTHON_EXTENSION_ID = "ms-python.python";

/** The part of the Python extension's `environments` API that Argus uses. */
export interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string } | Promise<{ id: string; path: string }>;
  resolveEnvironment(
    environment: { id: string; path: string } | string,
  ): Promise<{ executable: { uri?: { fsPath: string } } } | undefined>;
  readonly onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
}

/** The exports of the Python extension, as far as Argus reads them. */
export interface PythonExtensionApi {
  readonly environments?: PythonEnvironmentsApi;
}

/**
 * The executable of the Python extension's active environment for `resource`, or undefined
 * when the extension has no active environment or cannot resolve it to an executable.
 */
export async function activeInterpreter(
  api: PythonExtensionApi | undefined,
  resource: vscode.Uri | undefined,
): Promise<string | undefined> {
  const environments = api?.environments;
  if (environments === undefined) {
    return undefined;
  }
  const environmentPath = await environments.getActiveEnvironmentPath(resource);
  const resolved = await environments.resolveEnvironment(environmentPath);
  const executable = resolved?.executable.uri?.fsPath;
  return executable === undefined || executable === "" ? undefined : executable;
}

/** Activates the Python extension when it is installed and returns its API, else undefined. */
export async function loadPythonExtension(): Promise<PythonExtensionApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (extension === undefined) {
    return undefined;
  }
  return extension.isActive ? extension.exports : await extension.activate();
}
