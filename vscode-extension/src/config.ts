/**
 * Pure translation of the `argus.*` settings into what the language client needs: the
 * server's initialization options, the command that starts the server, and the decision
 * whether a settings change needs a restart. Nothing here imports `vscode`, so it is unit
 * tested directly; the extension injects the few outside facts (home folder, workspace
 * folder, the Python extension's interpreter).
 */

/** The configuration section that holds every Argus setting. */
export const CONFIGURATION_SECTION = "argus";

/** Languages whose buffers the server analyses (VS Code language ids). */
export const SUPPORTED_LANGUAGES = [
  "python",
  "javascript",
  "javascriptreact",
  "typescript",
  "typescriptreact",
  "go",
  "java",
] as const;

/** Document schemes the server receives: saved files and unsaved new buffers. */
export const SUPPORTED_SCHEMES = ["file", "untitled"] as const;

export type RiskLevel = "low" | "medium" | "high";
export type SeverityName = "error" | "warning" | "information" | "hint" | "off";
export type TraceLevel = "off" | "messages" | "verbose";
export type SeverityMapping = Record<RiskLevel, SeverityName>;

/** Every Argus setting, validated and fully defaulted. */
export interface ArgusSettings {
  readonly baseRef: string;
  readonly minimumLevel: RiskLevel;
  readonly severity: SeverityMapping;
  readonly generateTests: boolean;
  readonly maxFileBytes: number;
  readonly debounceMs: number;
  readonly interpreter: string;
  readonly serverPath: string;
  readonly traceServer: TraceLevel;
}

/** The settings the language server reads (the client-only ones are left out). */
export interface ServerSettings {
  readonly baseRef: string;
  readonly minimumLevel: RiskLevel;
  readonly severity: SeverityMapping;
  readonly generateTests: boolean;
  readonly maxFileBytes: number;
  readonly debounceMs: number;
}

/** The `initializationOptions` of the `initialize` request. */
export interface InitializationOptions {
  readonly argus: ServerSettings;
}

/** Defaults, identical to the ones declared in package.json's `contributes.configuration`. */
export const DEFAULT_SETTINGS: ArgusSettings = Object.freeze({
  // Empty: the server compares with the merge base of the default branch (what the PR shows).
  baseRef: "",
  minimumLevel: "low",
  severity: Object.freeze({ high: "warning", medium: "information", low: "hint" }),
  generateTests: true,
  maxFileBytes: 500_000,
  debounceMs: 25,
  interpreter: "",
  serverPath: "",
  traceServer: "off",
});

const RISK_LEVELS: readonly RiskLevel[] = ["low", "medium", "high"];
const SEVERITY_NAMES: readonly SeverityName[] = ["error", "warning", "information", "hint", "off"];
const TRACE_LEVELS: readonly TraceLevel[] = ["off", "messages", "verbose"];

/** Settings whose change needs a new server process; the others are pushed to the live server. */
export const RESTART_SETTINGS: readonly string[] = ["argus.interpreter", "argus.serverPath"];

/** Reads one setting by its key inside the `argus` section (e.g. `"trace.server"`). */
export type SettingReader = (key: string) => unknown;

/** The result of reading the settings: the values, and a note for each value that was ignored. */
export interface SettingsReading {
  readonly settings: ArgusSettings;
  readonly problems: readonly string[];
}

/**
 * Reads and validates every Argus setting. A missing value takes its default; a value of the
 * wrong type or outside its choices also takes the default, with a note in `problems`.
 */
export function readSettings(read: SettingReader): SettingsReading {
  const problems: string[] = [];
  const pick = <T>(key: string, fallback: T, accept: (value: unknown) => value is T): T => {
    const value = read(key);
    if (value === undefined || value === null) {
      return fallback;
    }
    if (accept(value)) {
      return value;
    }
    problems.push(
      `argus.${key}: ignored ${JSON.stringify(value)}, using ${JSON.stringify(fallback)}`,
    );
    return fallback;
  };
  const severityValue = read("severity");
  const severity = readSeverity(severityValue, problems);
  return {
    settings: {
      baseRef: pick("baseRef", DEFAULT_SETTINGS.baseRef, isString).trim(),
      minimumLevel: pick("minimumLevel", DEFAULT_SETTINGS.minimumLevel, isOneOf(RISK_LEVELS)),
      severity,
      generateTests: pick("generateTests", DEFAULT_SETTINGS.generateTests, isBoolean),
      maxFileBytes: pick("maxFileBytes", DEFAULT_SETTINGS.maxFileBytes, isPositiveNumber),
      debounceMs: pick("debounceMs", DEFAULT_SETTINGS.debounceMs, isNonNegativeNumber),
      interpreter: pick("interpreter", DEFAULT_SETTINGS.interpreter, isString).trim(),
      serverPath: pick("serverPath", DEFAULT_SETTINGS.serverPath, isString).trim(),
      traceServer: pick("trace.server", DEFAULT_SETTINGS.traceServer, isOneOf(TRACE_LEVELS)),
    },
    problems,
  };
}

function readSeverity(value: unknown, problems: string[]): SeverityMapping {
  const mapping: Record<RiskLevel, SeverityName> = { ...DEFAULT_SETTINGS.severity };
  if (value === undefined || value === null) {
    return mapping;
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    problems.push(`argus.severity: ignored ${JSON.stringify(value)}, expected an object`);
    return mapping;
  }
  for (const [level, severity] of Object.entries(value as Record<string, unknown>)) {
    if (!isOneOf(RISK_LEVELS)(level)) {
      problems.push(`argus.severity: ignored unknown level ${JSON.stringify(level)}`);
    } else if (!isOneOf(SEVERITY_NAMES)(severity)) {
      problems.push(
        `argus.severity.${level}: ignored ${JSON.stringify(severity)}, using "${mapping[level]}"`,
      );
    } else {
      mapping[level] = severity;
    }
  }
  return mapping;
}

/** The server's share of the settings, in the shape `initializationOptions` carries it. */
export function toInitializationOptions(settings: ArgusSettings): InitializationOptions {
  return {
    argus: {
      baseRef: settings.baseRef,
      minimumLevel: settings.minimumLevel,
      severity: { ...settings.severity },
      generateTests: settings.generateTests,
      maxFileBytes: settings.maxFileBytes,
      debounceMs: settings.debounceMs,
    },
  };
}

/**
 * True when a configuration change needs the server process to be started again.
 * `affects` is `ConfigurationChangeEvent.affectsConfiguration`.
 */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return RESTART_SETTINGS.some((section) => affects(section));
}

/** Where the interpreter that runs the server came from. */
export type InterpreterSource = "setting" | "python-extension" | "default";

export interface ResolvedInterpreter {
  readonly path: string;
  readonly source: InterpreterSource;
}

/** The interpreter used when neither the setting nor the Python extension names one. */
export const DEFAULT_INTERPRETER = "python3";

/** The outside facts that interpreter and command resolution depend on. */
export interface Environment {
  /** The user's home folder, for `~`. */
  readonly home: string;
  /** The first workspace folder's path, for `${workspaceFolder}`; undefined without one. */
  readonly workspaceFolder: string | undefined;
  /** Asks the Python extension for its active interpreter; undefined when it has none. */
  readonly pythonExtensionInterpreter: () => Promise<string | undefined>;
}

/**
 * Picks the Python interpreter: the `argus.interpreter` setting first, then the Python
 * extension's active interpreter, then `python3`. A failing Python extension is treated as
 * absent, so the server still starts.
 */
export async function resolveInterpreter(
  settings: ArgusSettings,
  environment: Environment,
): Promise<ResolvedInterpreter> {
  if (settings.interpreter !== "") {
    return { path: expandPath(settings.interpreter, environment), source: "setting" };
  }
  let fromExtension: string | undefined;
  try {
    fromExtension = await environment.pythonExtensionInterpreter();
  } catch {
    // The Python extension's API is optional; without an answer the default applies.
    fromExtension = undefined;
  }
  if (fromExtension !== undefined && fromExtension.trim() !== "") {
    return { path: fromExtension.trim(), source: "python-extension" };
  }
  return { path: DEFAULT_INTERPRETER, source: "default" };
}

/** The process that runs the language server, in the shape of languageclient's `Executable`. */
export interface ServerCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly options: { readonly cwd?: string };
}

/** The module the interpreter runs when `argus.serverPath` is empty. */
export const SERVER_MODULE = "argus.lsp_server";

/**
 * The command that starts the server: `argus.serverPath` split into a program and its
 * arguments when set, else `<interpreter> -P -m argus.lsp_server`. It runs in the workspace folder.
 */
export function buildServerCommand(
  settings: ArgusSettings,
  interpreter: string,
  environment: Pick<Environment, "home" | "workspaceFolder">,
): ServerCommand {
  const options = environment.workspaceFolder === undefined ? {} : { cwd: environment.workspaceFolder };
  const words = serverPathWords(settings);
  if (words !== undefined) {
    const [program, ...args] = words;
    return {
      command: expandPath(program, environment),
      args: args.map((argument) => expandVariables(argument, environment)),
      options,
    };
  }
  // -P: the workspace folder is the working directory, and a package of the project named
  // `argus` must not shadow Argus's own (Argus needs Python 3.11+).
  return { command: interpreter, args: ["-P", "-m", SERVER_MODULE], options };
}

/** `argus.serverPath` as program and arguments; undefined when it names no program. */
function serverPathWords(settings: ArgusSettings): [string, ...string[]] | undefined {
  const [program, ...args] = splitCommandLine(settings.serverPath);
  return program === undefined || program === "" ? undefined : [program, ...args];
}

/** The server command and, when it runs the module, the interpreter that was chosen. */
export interface ResolvedServer {
  readonly command: ServerCommand;
  /** Undefined when `argus.serverPath` names the command and no interpreter was needed. */
  readonly interpreter: ResolvedInterpreter | undefined;
}

/**
 * Resolves the whole start-up command. With `argus.serverPath` set the interpreter is not
 * looked up at all (so the Python extension is not activated for nothing).
 */
export async function resolveServer(settings: ArgusSettings, environment: Environment): Promise<ResolvedServer> {
  if (serverPathWords(settings) !== undefined) {
    return { command: buildServerCommand(settings, DEFAULT_INTERPRETER, environment), interpreter: undefined };
  }
  const interpreter = await resolveInterpreter(settings, environment);
  return { command: buildServerCommand(settings, interpreter.path, environment), interpreter };
}

/** The command as one line for messages, with arguments that need it quoted. */
export function describeCommand(command: ServerCommand): string {
  return [command.command, ...command.args]
    .map((word) => (word === "" || /[\s"'\\$`]/.test(word) ? `'${word.replace(/'/g, "'\\''")}'` : word))
    .join(" ");
}

/**
 * Splits a command line into words the way a POSIX shell would for plain words, single and
 * double quotes and backslash escapes; nothing else (no globbing, no variables) is interpreted.
 * An unterminated quote runs to the end of the text.
 */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < text.length; index += 1) {
    const character = text.charAt(index);
    if (quote === "'") {
      if (character === "'") {
        quote = undefined;
      } else {
        current += character;
      }
    } else if (quote === '"') {
      if (character === '"') {
        quote = undefined;
      } else if (character === "\\" && index + 1 < text.length && '"\\$`'.includes(text.charAt(index + 1))) {
        index += 1;
        current += text.charAt(index);
      } else {
        current += character;
      }
    } else if (character === "'" || character === '"') {
      quote = character;
      inWord = true;
    } else if (character === "\\" && index + 1 < text.length) {
      index += 1;
      current += text.charAt(index);
      inWord = true;
    } else if (/\s/.test(character)) {
      if (inWord) {
        words.push(current);
        current = "";
        inWord = false;
      }
    } else {
      current += character;
      inWord = true;
    }
  }
  if (inWord) {
    words.push(current);
  }
  return words;
}

/** Expands `${workspaceFolder}` and `${userHome}`, then a leading `~`, to the folders they name. */
export function expandPath(path: string, environment: Pick<Environment, "home" | "workspaceFolder">): string {
  const expanded = expandVariables(path, environment);
  if (expanded === "~") {
    return environment.home;
  }
  if (expanded.startsWith("~/") || expanded.startsWith("~\\")) {
    return environment.home + expanded.slice(1);
  }
  return expanded;
}

/** Replaces `${workspaceFolder}` and `${userHome}`; a variable with no value is left as written. */
export function expandVariables(
  text: string,
  environment: Pick<Environment, "home" | "workspaceFolder">,
): string {
  return text.replace(/\$\{(workspaceFolder|userHome)\}/g, (whole, name: string) => {
    if (name === "userHome") {
      return environment.home;
    }
    return environment.workspaceFolder ?? whole;
  });
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

function isBoolean(value: unknown): value is boolean {
  return typeof value === "boolean";
}

function isPositiveNumber(value: unknown): value is number {
  return isNonNegativeNumber(value) && value > 0;
}

function isNonNegativeNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function isOneOf<T extends string>(choices: readonly T[]): (value: unknown) => value is T {
  return (value: unknown): value is T => typeof value === "string" && (choices as readonly string[]).includes(value);
}
