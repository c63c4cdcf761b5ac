/**
 * The extension's own commands, and the arguments its palette entries send to the server's
 * `argus.generateTest` and `argus.explain` commands. The server commands themselves are
 * registered by the language client from the server's `executeCommandProvider`; the palette
 * entries have their own ids and forward to them with the cursor position.
 */
import * as vscode from "vscode";

/** Server command: generate a validated test for a function. Arguments: {@link GenerateTestArguments}. */
export const SERVER_GENERATE_TEST = "argus.generateTest";
/** Server command: explain the risk at a line. Arguments: {@link ExplainArguments}. */
export const SERVER_EXPLAIN = "argus.explain";

/** Client command ids, as declared in package.json's `contributes.commands`. */
export const CLIENT_COMMANDS = {
  restartServer: "argus.restartServer",
  showOutput: "argus.showOutput",
  generateTestAtCursor: "argus.generateTestAtCursor",
  explainAtCursor: "argus.explainAtCursor",
} as const;

/** The single argument of `argus.generateTest`; `line` is 0-based, as everywhere in LSP. */
export interface GenerateTestArguments {
  readonly uri: string;
  /** Qualified name (`Class.method`) from the editor's symbols; "" when none is known. */
  readonly symbol: string;
  readonly line: number;
}

/** The single argument of `argus.explain`; `line` is 0-based. */
export interface ExplainArguments {
  readonly uri: string;
  readonly line: number;
}

const CALLABLE_KINDS: ReadonlySet<vscode.SymbolKind> = new Set([
  vscode.SymbolKind.Function,
  vscode.SymbolKind.Method,
  vscode.SymbolKind.Constructor,
]);

const CONTAINER_KINDS: ReadonlySet<vscode.SymbolKind> = new Set([
  vscode.SymbolKind.Class,
  vscode.SymbolKind.Interface,
  vscode.SymbolKind.Struct,
  vscode.SymbolKind.Enum,
  vscode.SymbolKind.Object,
  vscode.SymbolKind.Module,
  vscode.SymbolKind.Namespace,
  vscode.SymbolKind.Variable,
  vscode.SymbolKind.Constant,
  ...CALLABLE_KINDS,
]);

/**
 * The qualified name of the innermost function or method whose range holds `line`, built
 * from the editor's document symbols (`Class.method`, `outer.inner`); "" when the line is in
 * no function or the editor has no symbols for the file.
 */
export function enclosingFunctionName(
  symbols: readonly (vscode.DocumentSymbol | vscode.SymbolInformation)[] | undefined,
  line: number,
): string {
  if (symbols === undefined || symbols.length === 0) {
    return "";
  }
  if (symbols.every(isDocumentSymbol)) {
    return enclosingInTree(symbols, line, []);
  }
  return enclosingInFlatList(symbols.filter(isSymbolInformation), line);
}

function enclosingInTree(symbols: readonly vscode.DocumentSymbol[], line: number, path: string[]): string {
  for (const symbol of symbols) {
    if (!containsLine(symbol.range, line) || !CONTAINER_KINDS.has(symbol.kind)) {
      continue;
    }
    const here = [...path, symbolName(symbol.name)];
    const inner = enclosingInTree(symbol.children, line, here);
    if (inner !== "") {
      return inner;
    }
    if (CALLABLE_KINDS.has(symbol.kind)) {
      return here.join(".");
    }
  }
  return "";
}

function enclosingInFlatList(symbols: readonly vscode.SymbolInformation[], line: number): string {
  let best: vscode.SymbolInformation | undefined;
  for (const symbol of symbols) {
    const range = symbol.location.range;
    if (!CALLABLE_KINDS.has(symbol.kind) || !containsLine(range, line)) {
      continue;
    }
    if (best === undefined || lineCount(range) < lineCount(best.location.range)) {
      best = symbol;
    }
  }
  if (best === undefined) {
    return "";
  }
  const name = symbolName(best.name);
  return best.containerName ? `${symbolName(best.containerName)}.${name}` : name;
}

/**
 * An editor's symbol name in Argus's spelling: Go's `(*Server).Run` is `Server.Run` (no pointer,
 * no type arguments), Java's `total(int)` is `total`.
 */
export function symbolName(name: string): string {
  const receiver = /^\(\*?([^)[\]]+)(?:\[[^\]]*\])?\)\.(.+)$/.exec(name);
  const plain = receiver ? `${receiver[1] ?? ""}.${receiver[2] ?? ""}` : name;
  return plain.replace(/\s*\(.*\)$/, "").replace(/\[[^\]]*\]$/, "");
}

/** The argument of `argus.generateTest` for the cursor at `line` (0-based) of `uri`. */
export function generateTestArguments(uri: string, line: number, symbol: string): GenerateTestArguments {
  return { uri, symbol, line };
}

/** The argument of `argus.explain` for the cursor at `line` (0-based) of `uri`. */
export function explainArguments(uri: string, line: number): ExplainArguments {
  return { uri, line };
}

/** Renders what `argus.explain` returned as text for the output channel. */
export function explanationText(result: unknown): string {
  if (typeof result === "string") {
    return result;
  }
  if (result !== null && typeof result === "object") {
    const markdown = (result as { markdown?: unknown; value?: unknown }).markdown ?? (result as { value?: unknown }).value;
    if (typeof markdown === "string") {
      return markdown;
    }
  }
  if (result === null || result === undefined) {
    return "Argus has no risk to explain at this line.";
  }
  return JSON.stringify(result, null, 2);
}

/** What the commands need from the rest of the extension. */
export interface CommandHost {
  restartServer(): Promise<void>;
  showOutput(): void;
  appendOutput(text: string): void;
  executeServerCommand(command: string, argument: object): Promise<unknown>;
}

/** Registers the client commands; the returned disposables unregister them. */
export function registerCommands(host: CommandHost): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(CLIENT_COMMANDS.restartServer, () => host.restartServer()),
    vscode.commands.registerCommand(CLIENT_COMMANDS.showOutput, () => {
      host.showOutput();
    }),
    vscode.commands.registerCommand(CLIENT_COMMANDS.generateTestAtCursor, async () => {
      const editor = vscode.window.activeTextEditor;
      if (editor === undefined) {
        void vscode.window.showInformationMessage("Argus: open a file and put the cursor in a function first.");
        return;
      }
      const uri = editor.document.uri;
      const line = editor.selection.active.line;
      const symbols = await documentSymbols(uri);
      await host.executeServerCommand(
        SERVER_GENERATE_TEST,
        generateTestArguments(uri.toString(), line, enclosingFunctionName(symbols, line)),
      );
    }),
    vscode.commands.registerCommand(CLIENT_COMMANDS.explainAtCursor, async () => {
      const editor = vscode.window.activeTextEditor;
      if (editor === undefined) {
        void vscode.window.showInformationMessage("Argus: open a file and put the cursor on a line first.");
        return;
      }
      const argument = explainArguments(editor.document.uri.toString(), editor.selection.active.line);
      const result = await host.executeServerCommand(SERVER_EXPLAIN, argument);
      host.appendOutput(explanationText(result));
      host.showOutput();
    }),
  ];
}

async function documentSymbols(
  uri: vscode.Uri,
): Promise<(vscode.DocumentSymbol | vscode.SymbolInformation)[] | undefined> {
  try {
    return await vscode.commands.executeCommand<(vscode.DocumentSymbol | vscode.SymbolInformation)[] | undefined>(
      "vscode.executeDocumentSymbolProvider",
      uri,
    );
  } catch {
    // Without a symbol provider for the language the server finds the function by its line.
    return undefined;
  }
}

function isDocumentSymbol(symbol: vscode.DocumentSymbol | vscode.SymbolInformation): symbol is vscode.DocumentSymbol {
  return "children" in symbol && Array.isArray(symbol.children) && "range" in symbol;
}

function isSymbolInformation(
  symbol: vscode.DocumentSymbol | vscode.SymbolInformation,
): symbol is vscode.SymbolInformation {
  return "location" in symbol;
}

function containsLine(range: vscode.Range, line: number): boolean {
  return range.start.line <= line && line <= range.end.line;
}

function lineCount(range: vscode.Range): number {
  return range.end.line - range.start.line;
}
