import * as path from "node:path";

import { describe, expect, it } from "vitest";

import {
  bundledWheel,
  chooseServer,
  environmentPython,
  InstallError,
  type InstallHost,
  installedVersion,
  installServer,
  type ProcessResult,
} from "../src/install";

const STORAGE = "/home/ada/.config/Code/User/globalStorage/argus.argus";
const PRIVATE = path.join(STORAGE, "server-venv", "bin", "python");
const WHEEL = "/ext/server/argus_pr-0.1.0-py3-none-any.whl";

/** A machine whose interpreters answer as scripted; records what ran and what was removed. */
class StandInHost implements InstallHost {
  readonly ran: string[] = [];
  readonly removed: string[] = [];
  readonly logged: string[] = [];
  readonly files = new Set<string>([WHEEL]);
  /** Version each interpreter's probe prints (absent: the import fails). */
  readonly versions = new Map<string, string>();
  failing: string | undefined;

  run(command: string, args: readonly string[]): Promise<ProcessResult> {
    this.ran.push([command, ...args].join(" "));
    if (this.failing !== undefined && args.includes(this.failing)) {
      return Promise.resolve({ code: 1, stdout: "", stderr: `ERROR: ${this.failing} failed\nNo space left on device` });
    }
    if (args.includes("-c")) {
      const version = this.versions.get(command);
      return Promise.resolve(
        version === undefined
          ? { code: 1, stdout: "", stderr: "ModuleNotFoundError: No module named 'argus'" }
          : { code: 0, stdout: `${version}\n`, stderr: "" },
      );
    }
    if (args[0] === "-m" && args[1] === "venv") {
      this.files.add(PRIVATE);
    }
    if (args[0] === "-m" && args[1] === "pip") {
      this.versions.set(command, "0.1.0");
    }
    return Promise.resolve({ code: 0, stdout: "", stderr: "" });
  }

  exists(file: string): Promise<boolean> {
    return Promise.resolve(this.files.has(file));
  }

  remove(folder: string): Promise<void> {
    this.removed.push(folder);
    for (const file of [...this.files]) {
      if (file.startsWith(folder)) {
        this.files.delete(file);
      }
    }
    return Promise.resolve();
  }

  log(line: string): void {
    this.logged.push(line);
  }
}

describe("paths", () => {
  it("keeps the environment in global storage and the wheel in the extension", () => {
    expect(environmentPython(STORAGE, "linux")).toBe(PRIVATE);
    expect(environmentPython("C:\\storage", "win32")).toContain(path.join("Scripts", "python.exe"));
    expect(bundledWheel("/ext", "0.1.0")).toBe(WHEEL);
  });
});

describe("chooseServer", () => {
  it("prefers the private environment when it holds the extension's version", async () => {
    const host = new StandInHost();
    host.files.add(PRIVATE);
    host.versions.set(PRIVATE, "0.1.0");
    host.versions.set("/usr/bin/python3", "0.1.0");
    expect(await chooseServer(host, { storageFolder: STORAGE, version: "0.1.0", interpreter: "/usr/bin/python3" })).toEqual({
      kind: "private",
      python: PRIVATE,
    });
  });

  it("uses the interpreter when it has Argus and the private environment is stale", async () => {
    const host = new StandInHost();
    host.files.add(PRIVATE);
    host.versions.set(PRIVATE, "0.0.9");
    host.versions.set("/venv/bin/python", "0.2.0");
    expect(await chooseServer(host, { storageFolder: STORAGE, version: "0.1.0", interpreter: "/venv/bin/python" })).toEqual({
      kind: "interpreter",
      python: "/venv/bin/python",
    });
  });

  it("asks for an install with the interpreter when nothing has Argus", async () => {
    const host = new StandInHost();
    expect(await chooseServer(host, { storageFolder: STORAGE, version: "0.1.0", interpreter: "python3" })).toEqual({
      kind: "install",
      basePython: "python3",
    });
  });
});

describe("installedVersion", () => {
  it("reads only a version-shaped answer", async () => {
    const host = new StandInHost();
    host.versions.set("python3", "Traceback (most recent call last)");
    expect(await installedVersion(host, "python3")).toBeUndefined();
    host.versions.set("python3", "0.1.0");
    expect(await installedVersion(host, "python3")).toBe("0.1.0");
  });
});

describe("installServer", () => {
  const options = { basePython: "/usr/bin/python3", storageFolder: STORAGE, wheel: WHEEL, version: "0.1.0" };

  it("makes the environment, installs the wheel, checks the version", async () => {
    const host = new StandInHost();
    expect(await installServer(host, options)).toBe(PRIVATE);
    expect(host.ran).toEqual([
      `/usr/bin/python3 -m venv ${path.join(STORAGE, "server-venv")}`,
      `${PRIVATE} -m pip install --disable-pip-version-check --no-input ${WHEEL}`,
      expect.stringContaining(`${PRIVATE} -P -c `),
    ]);
  });

  it("says what pip said and removes the half-made environment", async () => {
    const host = new StandInHost();
    host.failing = "pip";
    await expect(installServer(host, options)).rejects.toThrow(/No space left on device/);
    expect(host.removed.at(-1)).toBe(path.join(STORAGE, "server-venv"));
    expect(host.files.has(PRIVATE)).toBe(false);
  });

  it("names the interpreter that cannot make a venv", async () => {
    const host = new StandInHost();
    host.failing = "venv";
    await expect(installServer(host, options)).rejects.toThrow(/could not create a virtual environment/);
  });

  it("refuses without the bundled wheel", async () => {
    const host = new StandInHost();
    host.files.delete(WHEEL);
    const failure = installServer(host, options);
    await expect(failure).rejects.toBeInstanceOf(InstallError);
    await expect(failure).rejects.toThrow(/reinstall the extension/);
    expect(host.ran).toEqual([]);
  });

  it("refuses a server that answers with another version", async () => {
    const host = new StandInHost();
    await expect(installServer(host, { ...options, version: "9.9.9" })).rejects.toThrow(/expected 9.9.9/);
  });
});
