import { describe, expect, it } from "vitest";
import { DocumentSymbol, Location, Range, SymbolInformation, SymbolKind, Uri } from "vscode";

import {
  enclosingFunctionName,
  explainArguments,
  explanationText,
  generateTestArguments,
  SERVER_EXPLAIN,
  SERVER_GENERATE_TEST,
  symbolName,
} from "../src/commands";

function symbol(name: string, kind: SymbolKind, startLine: number, endLine: number, children: DocumentSymbol[] = []): DocumentSymbol {
  const range = new Range(startLine, 0, endLine, 0);
  const result = new DocumentSymbol(name, "", kind, range, range);
  result.children = children;
  return result;
}

// A Python module as Pylance reports it: a class with two methods (one with a nested
// function), a module-level function, and a constant.
const pythonSymbols = [
  symbol("LIMIT", SymbolKind.Constant, 0, 0),
  symbol("OrderService", SymbolKind.Class, 2, 20, [
    symbol("__init__", SymbolKind.Method, 3, 5),
    symbol("apply_discount", SymbolKind.Method, 7, 20, [
      symbol("rate", SymbolKind.Variable, 8, 8),
      symbol("clamp", SymbolKind.Function, 10, 12),
    ]),
  ]),
  symbol("total", SymbolKind.Function, 23, 30),
];

describe("enclosingFunctionName", () => {
  it.each([
    [4, "OrderService.__init__"],
    [8, "OrderService.apply_discount"],
    [11, "OrderService.apply_discount.clamp"],
    [15, "OrderService.apply_discount"],
    [25, "total"],
    [0, ""],
    [2, ""],
    [21, ""],
  ])("line %i -> %j", (line, expected) => {
    expect(enclosingFunctionName(pythonSymbols, line)).toBe(expected);
  });

  it("names a method inside an object literal after the variable, as the server does", () => {
    const javascript = [symbol("api", SymbolKind.Variable, 0, 10, [symbol("get", SymbolKind.Method, 1, 4)])];
    expect(enclosingFunctionName(javascript, 2)).toBe("api.get");
  });

  it("is empty without symbols", () => {
    expect(enclosingFunctionName(undefined, 3)).toBe("");
    expect(enclosingFunctionName([], 3)).toBe("");
  });

  it("picks the innermost function from a flat symbol list", () => {
    const uri = Uri.file("/src/Orders.java");
    const flat = [
      new SymbolInformation("Orders", SymbolKind.Class, "", new Location(uri, new Range(0, 0, 40, 0))),
      new SymbolInformation("total", SymbolKind.Method, "Orders", new Location(uri, new Range(5, 0, 20, 0))),
      new SymbolInformation("run", SymbolKind.Method, "", new Location(uri, new Range(8, 0, 12, 0))),
    ];
    expect(enclosingFunctionName(flat, 6)).toBe("Orders.total");
    expect(enclosingFunctionName(flat, 9)).toBe("run");
    expect(enclosingFunctionName(flat, 30)).toBe("");
  });
});

describe("symbolName", () => {
  it.each([
    ["apply_discount", "apply_discount"],
    ["(*Server).Run", "Server.Run"],
    ["(Server).Run", "Server.Run"],
    ["(*List[T]).Push", "List.Push"],
    ["total(int, String)", "total"],
    ["Orders()", "Orders"],
    ["Map[K, V]", "Map"],
  ])("%s -> %s", (name, expected) => {
    expect(symbolName(name)).toBe(expected);
  });

  it("applies to nested and flat symbols alike", () => {
    const java = [symbol("Orders", SymbolKind.Class, 0, 30, [symbol("total(int)", SymbolKind.Method, 2, 9)])];
    expect(enclosingFunctionName(java, 5)).toBe("Orders.total");
    const uri = Uri.file("/src/server.go");
    const go = [new SymbolInformation("(*Server).Run", SymbolKind.Method, "", new Location(uri, new Range(3, 0, 9, 0)))];
    expect(enclosingFunctionName(go, 4)).toBe("Server.Run");
  });
});

describe("server command arguments", () => {
  it("targets the server's command ids", () => {
    expect(SERVER_GENERATE_TEST).toBe("argus.generateTest");
    expect(SERVER_EXPLAIN).toBe("argus.explain");
  });

  it("builds the generate-test argument from the cursor", () => {
    const uri = Uri.file("/work/orders-service/orders/pricing.py").toString();
    expect(generateTestArguments(uri, 11, "OrderService.apply_discount")).toEqual({
      uri: "file:///work/orders-service/orders/pricing.py",
      symbol: "OrderService.apply_discount",
      line: 11,
    });
  });

  it("builds the explain argument from the cursor", () => {
    expect(explainArguments("untitled:Untitled-1", 0)).toEqual({ uri: "untitled:Untitled-1", line: 0 });
  });
});

describe("explanationText", () => {
  it.each([
    ["**risk 0.72**", "**risk 0.72**"],
    [{ markdown: "why" }, "why"],
    [{ kind: "markdown", value: "why" }, "why"],
    [null, "Argus has no risk to explain at this line."],
    [{ level: "high" }, '{\n  "level": "high"\n}'],
  ])("%j -> %j", (result, text) => {
    expect(explanationText(result)).toBe(text);
  });
});
