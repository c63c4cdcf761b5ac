"""The classes a Python module can build, read from source: its own and the project's it imports.

Property tests need to make values of the project's own types (``Customer``, ``list[Line]``)
and characterisation tests need to import the classes their inputs and results name. Both
read the repository as text (:mod:`ast`, nothing imported or run):

- :func:`class_shape` says how a class is constructed: an ``Enum`` (its members), or the
  parameters its constructor takes, with their annotations and whether each is required.
  Dataclasses (``@dataclass``, pydantic's), ``attrs`` classes (``@define``, ``@attr.s``),
  ``NamedTuple``, pydantic ``BaseModel`` and plain classes whose ``__init__`` is annotated
  are understood; fields inherited from a project base class come first. A class it cannot
  read (an abstract one, a ``Protocol``, a base class outside the project) has no shape.
- :class:`ModuleTypes` is one module's namespace: its top-level classes, and the names it
  imports from the project (``from orders.models import OrderLine``, ``from . import models``),
  which :meth:`ModuleTypes.resolve` follows to the module that defines them through
  :class:`ProjectTypes` (module name -> source, from a :class:`RepoView`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})
_RECORD_BASES = frozenset({"NamedTuple", "BaseModel"})
_NOT_CONSTRUCTIBLE_BASES = frozenset({"Protocol", "ABC", "TypedDict"})
_TRIVIAL_BASES = frozenset({"object", "Generic"})
_ATTRS_DECORATORS = frozenset(
    {
        "attr.s",
        "attr.attrs",
        "attrs",
        "attr.define",
        "attrs.define",
        "define",
        "attr.frozen",
        "attrs.frozen",
        "frozen",
        "attr.mutable",
        "attrs.mutable",
        "mutable",
        "attr.dataclass",
    }
)
_FIELD_CALLS = frozenset(
    {
        "field",
        "dataclasses.field",
        "attr.ib",
        "attr.attrib",
        "attrib",
        "attrs.field",
        "Field",
        "pydantic.Field",
    }
)
_MAX_FOLLOW = 4


@dataclass(frozen=True)
class Parameter:
    """One constructor parameter: its name, annotation (None: unannotated), and kind."""

    name: str
    annotation: ast.expr | None
    required: bool
    positional_only: bool = False


@dataclass(frozen=True)
class ClassShape:
    """How a class is built: ``enum`` (pick a member) or ``call`` with ``parameters``."""

    name: str
    kind: str  # "enum" | "call"
    parameters: tuple[Parameter, ...] = ()
    abstract: bool = False


@dataclass(frozen=True)
class Resolved:
    """A class found from a name: its shape, the module that defines it, and that module."""

    shape: ClassShape
    module: str
    types: ModuleTypes


@dataclass
class ModuleTypes:
    """The class names a module can use: its own top-level classes and project imports.

    ``module`` is its import name ("" when unknown: the module under test in a caller that
    imports bare names from it). ``project`` finds other modules; without it only the
    module's own classes resolve.
    """

    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (module, name)
    modules: dict[str, str] = field(default_factory=dict)  # alias -> module (import x.y as m)
    module: str = ""
    project: ProjectTypes | None = None
    _shapes: dict[str, ClassShape | None] = field(default_factory=dict, repr=False)

    @property
    def enums(self) -> frozenset[str]:
        """Names of the module's own Enum classes."""
        return frozenset(
            name for name in self.classes if (shape := self.shape(name)) and shape.kind == "enum"
        )

    def shape(self, name: str) -> ClassShape | None:
        """The shape of one of the module's own top-level classes (None: unknown or unreadable)."""
        if name not in self._shapes:
            node = self.classes.get(name)
            self._shapes[name] = None  # guards a class that inherits from itself
            self._shapes[name] = class_shape(node, self) if node is not None else None
        return self._shapes[name]

    def origin(self, name: str, *, _depth: int = 0) -> str | None:
        """The project module that defines top-level class ``name`` as this module sees it."""
        if name in self.classes:
            return self.module or None
        if name in self.imported and self.project is not None and _depth <= _MAX_FOLLOW:
            module, original = self.imported[name]
            other = self.project.module_types(module)
            return other.origin(original, _depth=_depth + 1) if other is not None else None
        return None

    def resolve(self, dotted: str, *, _depth: int = 0) -> Resolved | None:
        """The class a (possibly dotted) name denotes in this module, followed to its module."""
        if _depth > _MAX_FOLLOW:
            return None
        head, _, rest = dotted.partition(".")
        if not rest:
            if head in self.classes:
                shape = self.shape(head)
                return Resolved(shape, self.module, self) if shape is not None else None
            if head in self.imported and self.project is not None:
                module, original = self.imported[head]
                other = self.project.module_types(module)
                if other is None:
                    return None
                return other.resolve(original, _depth=_depth + 1)
            return None
        if "." in rest or self.project is None:
            return None
        target = self.modules.get(head)
        if target is None and head in self.imported:
            # ``from orders import models`` binds a submodule.
            parent, name = self.imported[head]
            target = f"{parent}.{name}" if parent else name
        if target is None:
            return None
        other = self.project.module_types(target)
        return other.resolve(rest, _depth=_depth + 1) if other is not None else None


def module_types(
    tree: ast.Module, module: str = "", project: ProjectTypes | None = None
) -> ModuleTypes:
    """The namespace of a parsed module (``module``: its import name, for relative imports)."""
    types = ModuleTypes(module=module, project=project)
    package = module.rsplit(".", 1)[0] if "." in module else ""
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            types.classes[node.name] = node
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, module, package)
            if source is None:
                continue
            for alias in node.names:
                if alias.name != "*":
                    types.imported[alias.asname or alias.name] = (source, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    types.modules[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    types.modules.setdefault(top, top)
    return types


def _absolute(node: ast.ImportFrom, module: str, package: str) -> str | None:
    if not node.level:
        return node.module
    if not module:
        return None
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


class ProjectTypes:
    """Modules of one repository by import name, parsed on demand and kept.

    ``read(module)`` returns a module's source, or None when it is not a file of the project
    (the standard library and installed packages are not read).
    """

    def __init__(self, read: Callable[[str], str | None]):
        self._read = read
        self._cache: dict[str, ModuleTypes | None] = {}

    @classmethod
    def from_view(cls, view: object, root: str = "") -> ProjectTypes:
        """Modules of a :class:`~argus.core.testgen.repo_view.RepoView`, imported from ``root``."""

        def read(module: str) -> str | None:
            base = PurePosixPath(root) if root not in ("", ".") else PurePosixPath()
            parts = module.split(".")
            for candidate in (
                base.joinpath(*parts).with_suffix(".py") if parts else None,
                base.joinpath(*parts, "__init__.py"),
            ):
                if candidate is not None and view.exists(str(candidate)):  # type: ignore[attr-defined]
                    try:
                        return str(view.read(str(candidate)))  # type: ignore[attr-defined]
                    except OSError:
                        return None
            return None

        return cls(read)

    def module_types(self, module: str) -> ModuleTypes | None:
        """The namespace of a project module, or None when it is not the project's."""
        if module not in self._cache:
            self._cache[module] = None
            source = self._read(module)
            if source is not None:
                try:
                    tree = ast.parse(source)
                except (SyntaxError, ValueError):
                    tree = None
                if tree is not None:
                    self._cache[module] = module_types(tree, module, self)
        return self._cache[module]


def _decorator_names(node: ast.ClassDef) -> set[str]:
    names: set[str] = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        names.add(ast.unparse(target))
    return names


def _base_names(node: ast.ClassDef) -> list[str]:
    return [
        ast.unparse(base.value if isinstance(base, ast.Subscript) else base) for base in node.bases
    ]


def class_shape(node: ast.ClassDef, types: ModuleTypes) -> ClassShape | None:
    """How ``node`` (a class of the module ``types`` describes) is constructed, or None."""
    bases = _base_names(node)
    simple_bases = {name.rsplit(".", 1)[-1] for name in bases}
    if simple_bases & ENUM_BASES:
        return ClassShape(node.name, "enum")
    if simple_bases & _NOT_CONSTRUCTIBLE_BASES or _has_abstract_methods(node):
        return None
    if node.keywords and any(keyword.arg == "metaclass" for keyword in node.keywords):
        return None
    decorators = _decorator_names(node)
    is_dataclass = any(name.rsplit(".", 1)[-1] == "dataclass" for name in decorators)
    is_attrs = bool(decorators & _ATTRS_DECORATORS)
    is_record = bool(simple_bases & _RECORD_BASES)
    init = _own_init(node)
    inherited: tuple[Parameter, ...] = ()
    project_bases = [name for name in bases if name.rsplit(".", 1)[-1] not in _TRIVIAL_BASES]
    if is_record:
        project_bases = [
            name for name in project_bases if name.rsplit(".", 1)[-1] not in _RECORD_BASES
        ]
    if project_bases:
        if len(project_bases) > 1:
            return None
        base = types.resolve(project_bases[0])
        if base is None or base.shape.kind != "call":
            return None
        inherited = base.shape.parameters
    if init is not None:
        return _from_init(node.name, init)
    if is_dataclass or is_attrs or is_record:
        own = _annotated_fields(node, attrs=is_attrs)
        if own is None:
            return None
        names = {parameter.name for parameter in own}
        merged = [parameter for parameter in inherited if parameter.name not in names]
        return ClassShape(node.name, "call", (*merged, *own))
    # A plain class without __init__ takes what its base takes (nothing for object).
    return ClassShape(node.name, "call", inherited)


def _has_abstract_methods(node: ast.ClassDef) -> bool:
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in item.decorator_list:
                if "abstract" in ast.unparse(decorator):
                    return True
    return False


def _own_init(node: ast.ClassDef) -> ast.FunctionDef | None:
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return item
    return None


def _from_init(name: str, init: ast.FunctionDef) -> ClassShape | None:
    spec = init.args
    positional = [*spec.posonlyargs, *spec.args]
    if not positional:
        return None  # no ``self``: a staticmethod-like oddity
    positional = positional[1:]
    defaults_from = len(positional) - len(spec.defaults)
    posonly = {argument.arg for argument in spec.posonlyargs[1:]}
    parameters = [
        Parameter(argument.arg, argument.annotation, index < defaults_from, argument.arg in posonly)
        for index, argument in enumerate(positional)
    ]
    for argument, default in zip(spec.kwonlyargs, spec.kw_defaults, strict=True):
        parameters.append(Parameter(argument.arg, argument.annotation, default is None))
    return ClassShape(name, "call", tuple(parameters))


def _annotated_fields(node: ast.ClassDef, *, attrs: bool) -> tuple[Parameter, ...] | None:
    fields: list[Parameter] = []
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            annotation = item.annotation
            text = ast.unparse(annotation)
            if "ClassVar" in text:
                continue
            if text.startswith(("InitVar[", "dataclasses.InitVar[")) and isinstance(
                annotation, ast.Subscript
            ):
                annotation = annotation.slice
            value = item.value
            if _field_call(value) and _keyword(value, "init") == "False":
                continue
            name = item.target.id
            if attrs and name.startswith("_"):
                name = name.lstrip("_")
            fields.append(Parameter(name, annotation, _required(value)))
        elif (
            attrs
            and isinstance(item, ast.Assign)
            and len(item.targets) == 1
            and isinstance(item.targets[0], ast.Name)
            and _field_call(item.value)
        ):
            # ``x = attr.ib(type=int, default=0)``
            assert isinstance(item.value, ast.Call)
            typed = next((k.value for k in item.value.keywords if k.arg == "type"), None)
            if _keyword(item.value, "init") == "False":
                continue
            fields.append(Parameter(item.targets[0].id.lstrip("_"), typed, _required(item.value)))
    return tuple(fields)


def _field_call(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Call) and ast.unparse(value.func) in _FIELD_CALLS


def _keyword(value: ast.expr | None, name: str) -> str | None:
    if not isinstance(value, ast.Call):
        return None
    for keyword in value.keywords:
        if keyword.arg == name:
            return ast.unparse(keyword.value)
    return None


def _required(value: ast.expr | None) -> bool:
    if value is None:
        return True
    if _field_call(value):
        assert isinstance(value, ast.Call)
        given = {keyword.arg for keyword in value.keywords}
        if given & {"default", "default_factory", "factory"}:
            return False
        # pydantic's Field(0) / Field(...) take the default positionally.
        if value.args:
            first = value.args[0]
            return isinstance(first, ast.Constant) and first.value is Ellipsis
        return True
    return False


def snake(name: str) -> str:
    """``OrderService`` -> ``order_service``, for a variable holding an instance."""
    out: list[str] = []
    for index, char in enumerate(name):
        if (
            char.isupper()
            and index
            and (
                not name[index - 1].isupper()
                or (index + 1 < len(name) and name[index + 1].islower())
            )
        ):
            out.append("_")
        out.append(char.lower())
    text = "".join(out).strip("_")
    return text if text.isidentifier() else "instance"
