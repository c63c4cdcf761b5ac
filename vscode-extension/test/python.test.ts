import { afterEach, describe, expect, it } from "vitest";
import { Uri } from "vscode";

import { installedExtensions } from "./fake-vscode";

import { activeInterpreter, loadPythonExtension, PYTHON_EXTENSION_ID, type PythonEnvironmentsApi } from "../src/python";

function environments(executable: string | undefined, activePath = "/home/ada/.venvs/shop"): PythonEnvironmentsApi {
  return {
    getActiveEnvironmentPath: () => ({ id: activePath, path: activePath }),
    resolveEnvironment: (environment) =>
      Promise.resolve(
        typeof environment !== "string" && environment.path === activePath
          ? { executable: executable === undefined ? {} : { uri: Uri.file(executable) } }
          : undefined,
      ),
  };
}

describe("activeInterpreter", () => {
  it("resolves the active environment to its executable", async () => {
    const api = { environments: environments("/home/ada/.venvs/shop/bin/python") };
    expect(await activeInterpreter(api, Uri.file("/work/shop"))).toBe("/home/ada/.venvs/shop/bin/python");
  });

  it("accepts an API whose getActiveEnvironmentPath is asynchronous (older releases)", async () => {
    const synchronous = environments("/usr/bin/python3.12");
    const api = {
      environments: { ...synchronous, getActiveEnvironmentPath: () => Promise.resolve(synchronous.getActiveEnvironmentPath()) },
    };
    expect(await activeInterpreter(api, undefined)).toBe("/usr/bin/python3.12");
  });

  it("is undefined when the environment has no executable (a conda env without Python)", async () => {
    expect(await activeInterpreter({ environments: environments(undefined) }, undefined)).toBeUndefined();
  });

  it("is undefined without the environments API", async () => {
    expect(await activeInterpreter({}, undefined)).toBeUndefined();
    expect(await activeInterpreter(undefined, undefined)).toBeUndefined();
  });
});

describe("loadPythonExtension", () => {
  afterEach(() => {
    installedExtensions.clear();
  });

  it("is undefined when the Python extension is not installed", async () => {
    expect(await loadPythonExtension()).toBeUndefined();
  });

  it("activates the extension when it is not active yet", async () => {
    const exports = { environments: environments("/usr/bin/python3") };
    let activations = 0;
    installedExtensions.set(PYTHON_EXTENSION_ID, {
      isActive: false,
      exports: undefined,
      activate: () => {
        activations += 1;
        return Promise.resolve(exports);
      },
    });
    expect(await loadPythonExtension()).toBe(exports);
    expect(activations).toBe(1);
  });

  it("uses the exports of an active extension without activating it again", async () => {
    const exports = { environments: environments("/usr/bin/python3") };
    installedExtensions.set(PYTHON_EXTENSION_ID, {
      isActive: true,
      exports,
      activate: () => Promise.reject(new Error("already active")),
    });
    expect(await loadPythonExtension()).toBe(exports);
  });
});
