import pytest

from argus.core.lang import extract_symbols

from .helpers import rows, source

JAVASCRIPT = """
import x from "x";

export function load(path) {
  function helper() {}
  return helper;
}

const parse = (text) => {
  return text;
};

let a = function () {}, b = () => 1;

class Store extends Base {
  count = 0;
  onChange = (event) => event;
  get size() { return this.count; }
  async *entries() {}
  #secret() {}
}

const api = {
  get(url) {},
  post: function (url, body) {},
  "delete": (url) => url,
};

module.exports.start = function run() {};
Store.prototype.reset = function () {};
export default class {}
items.forEach((item) => item);
"""


def test_javascript_symbols() -> None:
    assert rows(extract_symbols(source(JAVASCRIPT), "javascript")) == [
        ("function", "load", 3, 6, 1, None),
        ("function", "load.helper", 4, 4, 1, "load"),
        ("function", "parse", 8, 10, 1, None),
        ("function", "a", 12, 12, 1, None),
        ("function", "b", 12, 12, 1, None),
        ("class", "Store", 14, 20, 1, None),
        ("method", "Store.onChange", 16, 16, 1, "Store"),
        ("method", "Store.size", 17, 17, 1, "Store"),
        ("method", "Store.entries", 18, 18, 1, "Store"),
        ("method", "Store.#secret", 19, 19, 1, "Store"),
        ("method", "api.get", 23, 23, 1, None),
        ("method", "api.post", 24, 24, 1, None),
        ("method", "api.delete", 25, 25, 1, None),
        ("function", "start", 28, 28, 1, None),
        ("method", "Store.reset", 29, 29, 1, None),
        ("class", "default", 30, 30, 1, None),
    ]


TYPESCRIPT = """
interface Shape {
  area(): number;
}

type Id = string;

@Component({ selector: "x" })
export abstract class Base<T> implements Shape {
  @Input() name = "";
  abstract area(): number;

  @HostListener("click")
  handle(event: Event): void {}

  constructor(private readonly id: Id) {}
}

export function overload(a: string): void;
export function overload(a: unknown): void {}

export const make = <T,>(value: T): T => value;
"""


def test_typescript_symbols() -> None:
    assert rows(extract_symbols(source(TYPESCRIPT), "typescript")) == [
        ("class", "Shape", 1, 3, 1, None),
        ("class", "Base", 7, 16, 1, None),
        ("method", "Base.handle", 12, 13, 1, "Base"),
        ("method", "Base.constructor", 15, 15, 1, "Base"),
        ("function", "overload", 19, 19, 1, None),
        ("function", "make", 21, 21, 1, None),
    ]


TSX = """
import React from "react";

export const Button = ({ label, onClick }: Props) => (
  <button onClick={onClick}>{label ?? "OK"}</button>
);

export default function App() {
  const [open, setOpen] = React.useState(false);
  return <div>{open && <Button label="x" onClick={() => setOpen(false)} />}</div>;
}

class Legacy extends React.Component<Props> {
  render() {
    return this.props.items.map((item) => <li key={item}>{item ? item : "-"}</li>);
  }
}
"""


def test_tsx_components() -> None:
    assert rows(extract_symbols(source(TSX), "tsx")) == [
        ("function", "Button", 3, 5, 2, None),
        ("function", "App", 7, 10, 2, None),
        ("class", "Legacy", 12, 16, 1, None),
        ("method", "Legacy.render", 13, 15, 2, "Legacy"),
    ]


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
def test_object_literal_inside_function_is_qualified_by_both(language: str) -> None:
    text = "function setup() {\n  const routes = { home() {} };\n}\n"
    assert rows(extract_symbols(text.encode(), language)) == [
        ("function", "setup", 1, 3, 1, None),
        ("method", "setup.routes.home", 2, 2, 1, "setup"),
    ]


def test_named_function_expression_passed_as_argument_keeps_its_name() -> None:
    text = b"on('x', function handler(e) { return e || null; });\non('y', (e) => e);\n"
    assert rows(extract_symbols(text, "javascript")) == [("function", "handler", 1, 1, 2, None)]


def test_typescript_class_fields_holding_functions_are_methods() -> None:
    text = """
    class A {
      private onClick = (e: Event): void => { if (e) {} };
      static create = function () {};
      label: string = "x";
    }
    const K = class Named { m() { return x || y; } };
    """
    assert rows(extract_symbols(source(text), "typescript")) == [
        ("class", "A", 1, 5, 1, None),
        ("method", "A.onClick", 2, 2, 2, "A"),
        ("method", "A.create", 3, 3, 1, "A"),
        ("class", "K", 6, 6, 1, None),
        ("method", "K.m", 6, 6, 2, "K"),
    ]
