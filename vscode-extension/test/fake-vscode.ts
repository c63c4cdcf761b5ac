/**
 * The few parts of the `vscode` API that the unit-tested modules touch, with the editor's
 * semantics (enum values, Position/Range shapes); vitest aliases `vscode` to this file.
 */

export enum SymbolKind {
  File = 0,
  Module = 1,
  Namespace = 2,
  Package = 3,
  Class = 4,
  Method = 5,
  Property = 6,
  Field = 7,
  Constructor = 8,
  Enum = 9,
  Interface = 10,
  Function = 11,
  Variable = 12,
  Constant = 13,
  String = 14,
  Number = 15,
  Boolean = 16,
  Array = 17,
  Object = 18,
  Key = 19,
  Null = 20,
  EnumMember = 21,
  Struct = 22,
  Event = 23,
  Operator = 24,
  TypeParameter = 25,
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;

  constructor(startLine: number, startCharacter: number, endLine: number, endCharacter: number) {
    this.start = new Position(startLine, startCharacter);
    this.end = new Position(endLine, endCharacter);
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}

  static file(path: string): Uri {
    return new Uri("file", path);
  }

  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export class Location {
  constructor(
    readonly uri: Uri,
    readonly range: Range,
  ) {}
}

export class DocumentSymbol {
  children: DocumentSymbol[] = [];

  constructor(
    readonly name: string,
    readonly detail: string,
    readonly kind: SymbolKind,
    readonly range: Range,
    readonly selectionRange: Range,
  ) {}
}

export class SymbolInformation {
  readonly location: Location;

  constructor(
    readonly name: string,
    readonly kind: SymbolKind,
    readonly containerName: string,
    location: Location,
  ) {
    this.location = location;
  }
}

type Listener<T> = (event: T) => unknown;

/** A minimal `vscode.EventEmitter`, enough to drive an `Event` in tests. */
export class EventEmitter<T> {
  private readonly listeners = new Set<Listener<T>>();

  readonly event = (listener: Listener<T>): { dispose(): void } => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      listener(value);
    }
  }
}

/** Extensions installed in the fake editor, by id; tests fill it. */
export const installedExtensions = new Map<string, { isActive: boolean; exports: unknown; activate(): Promise<unknown> }>();

export const extensions = {
  getExtension(id: string): unknown {
    return installedExtensions.get(id);
  },
};

export const commands = {
  registerCommand(): { dispose(): void } {
    return { dispose: () => undefined };
  },
  executeCommand(): Promise<undefined> {
    return Promise.resolve(undefined);
  },
};

export const window = {
  activeTextEditor: undefined,
  showInformationMessage: (): Promise<undefined> => Promise.resolve(undefined),
};
