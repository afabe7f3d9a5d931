"""How to rebuild a saved state_dict's module from the project's own source, read without importing.

A weights-only torch archive holds tensors and no architecture. The project that saved it shows
the rest: `torch.save(model.state_dict(), PATH)` (or a checkpoint dict holding it) next to
`model = Net(**CONFIG)`, and `from model import Net`. This module finds such a site for an
artifact path and returns a `Recipe`: the module to import, the class, the constructor arguments
that are literals, and the ones it could not know statically (the worker looks for those in a
config saved next to the weights, or in the checkpoint's `hparams`/`config`).
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preplint.confirm.registration import find_module_source

_SAVE_CALLS = frozenset({"torch.save", "save"})
_LOAD_STATE = "load_state_dict"
# Files saved next to weights that commonly record the constructor arguments.
_CONFIG_NAMES = ("{stem}.json", "{stem}_config.json", "config.json", "hparams.json", "params.json")
_MAX_FILES = 200
_LITERAL_ERRORS = (ValueError, TypeError, SyntaxError, MemoryError, RecursionError)
_MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class Recipe:
    """One way to rebuild the module whose weights an artifact holds."""

    module: str  # importable from `root`
    cls: str
    root: str  # the folder the project's scripts import `module` from
    site: str  # "train.py:43", where the constructor call was seen
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    # Arguments whose values are not literals: {"kind": "star"|"keyword"|"positional", ...}
    unknown: tuple[dict[str, Any], ...] = ()
    config_files: tuple[str, ...] = ()  # recorded configs found next to the weights

    def to_json(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "class": self.cls,
            "root": self.root,
            "site": self.site,
            "args": list(self.args),
            "kwargs": dict(self.kwargs),
            "unknown": [dict(u) for u in self.unknown],
            "config_files": list(self.config_files),
        }

    @property
    def label(self) -> str:
        return f"{self.module}.{self.cls}"


class _Unknown(Exception):
    """A value that is not a literal the parser can evaluate."""


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


class _Module:
    """One parsed project file: its constants, imports and classes."""

    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.path = path
        self.tree = tree
        self.constants: dict[str, Any] = {}
        self.imports: dict[str, tuple[str, str | None]] = {}  # local -> (module, name or None)
        self.classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    with contextlib.suppress(*_LITERAL_ERRORS):
                        self.constants[target.id] = ast.literal_eval(node.value)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0],
                        None,
                    )


def _parse(path: Path) -> _Module | None:
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            return None
        return _Module(path, ast.parse(path.read_bytes()))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _project_files(folders: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            files.extend(sorted(p for p in folder.glob("*.py") if p.is_file()))
    return list(dict.fromkeys(files))[:_MAX_FILES]


class _Resolver:
    """Evaluates expressions to literals using module constants, imported constants included."""

    def __init__(self, module: _Module, modules: dict[str, _Module]) -> None:
        self.module = module
        self.modules = modules

    def value(self, node: ast.expr) -> Any:
        try:
            return ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
        if isinstance(node, ast.Name):
            if node.id in self.module.constants:
                return self.module.constants[node.id]
            imported = self.module.imports.get(node.id)
            if imported and imported[1]:
                other = self.modules.get(imported[0])
                if other is not None and imported[1] in other.constants:
                    return other.constants[imported[1]]
        raise _Unknown


def _text(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # an odd tree is shown as its type
        return type(node).__name__


def _artifact_matches(resolver: _Resolver, node: ast.expr, artifact: str) -> bool:
    try:
        value = resolver.value(node)
    except _Unknown:
        return False
    if not isinstance(value, str):
        return False
    return value == artifact or Path(value).name == Path(artifact).name


def _state_dict_owner(node: ast.expr) -> str | None:
    """`model` in `model.state_dict()`, found anywhere inside a saved expression."""
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "state_dict"
        ):
            return _dotted(sub.func.value)
    return None


def _scopes(tree: ast.Module) -> Iterator[ast.AST]:
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def _own_statements(scope: ast.AST) -> Iterator[ast.AST]:
    """Nodes in `scope`, not descending into nested functions or classes."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _sites(
    module: _Module, resolver: _Resolver, artifact: str
) -> Iterator[tuple[int, str, ast.AST]]:
    """(line, owner name, scope) for each save or load of `artifact`'s state_dict in the file."""
    for scope in _scopes(module.tree):
        for node in _own_statements(scope):
            if not isinstance(node, ast.Call):
                continue
            name = _dotted(node.func) or ""
            if name in _SAVE_CALLS or name.endswith(".save"):
                if len(node.args) >= 2 and _artifact_matches(resolver, node.args[1], artifact):
                    owner = _state_dict_owner(node.args[0])
                    if owner:
                        yield node.lineno, owner, scope
            elif isinstance(node.func, ast.Attribute) and node.func.attr == _LOAD_STATE:
                owner = _dotted(node.func.value)
                loads = [
                    sub
                    for arg in node.args
                    for sub in ast.walk(arg)
                    if isinstance(sub, ast.Call)
                    and (_dotted(sub.func) or "").endswith("load")
                    and sub.args
                    and _artifact_matches(resolver, sub.args[0], artifact)
                ]
                if owner and loads:
                    yield node.lineno, owner, scope


def _constructor(scope: ast.AST, owner: str, before: int) -> ast.Call | None:
    """The last `owner = Something(...)` in the scope before line `before`."""
    found: tuple[int, ast.Call] | None = None
    for node in _own_statements(scope):
        if not isinstance(node, ast.Assign) or node.lineno > before:
            continue
        if not any(_dotted(t) == owner for t in node.targets):
            continue
        value = node.value
        # `model = Net(...).to(device)`: the constructor is the innermost call
        while (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and isinstance(value.func.value, ast.Call)
            and value.func.attr in ("to", "cuda", "cpu", "float", "double", "train", "eval")
        ):
            value = value.func.value
        if isinstance(value, ast.Call) and (found is None or node.lineno >= found[0]):
            found = (node.lineno, value)
    return found[1] if found else None


def _class_module(module: _Module, call: ast.Call, folder: Path) -> tuple[str, str] | None:
    """(module to import, class name) for a constructor call, when the class is the project's."""
    name = _dotted(call.func)
    if not name:
        return None
    head, _, rest = name.partition(".")
    if not rest:
        if head in module.classes:
            return module.path.stem, head
        imported = module.imports.get(head)
        if imported and imported[1]:
            target = imported[0]
            return (target, imported[1]) if find_module_source(target, [str(folder)]) else None
        return None
    imported = module.imports.get(head)
    if imported and imported[1] is None:
        target, _, cls = f"{imported[0]}.{rest}".rpartition(".")
        return (target, cls) if find_module_source(target, [str(folder)]) else None
    return None


def _arguments(
    call: ast.Call, resolver: _Resolver
) -> tuple[list[Any], dict[str, Any], list[dict[str, Any]]]:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    unknown: list[dict[str, Any]] = []
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            unknown.append({"kind": "star-args", "text": _text(arg)})
            continue
        try:
            args.append(resolver.value(arg))
        except _Unknown:
            unknown.append({"kind": "positional", "index": index, "text": _text(arg)})
            args.append(None)
    for keyword in call.keywords:
        try:
            value = resolver.value(keyword.value)
        except _Unknown:
            if keyword.arg is None:
                unknown.append({"kind": "star", "text": f"**{_text(keyword.value)}"})
            else:
                unknown.append(
                    {"kind": "keyword", "name": keyword.arg, "text": _text(keyword.value)}
                )
            continue
        if keyword.arg is None:
            if isinstance(value, dict) and all(isinstance(k, str) for k in value):
                kwargs.update(value)
            else:
                unknown.append({"kind": "star", "text": f"**{_text(keyword.value)}"})
        else:
            kwargs[keyword.arg] = value
    return args, kwargs, unknown


def _config_files(artifact_path: Path) -> tuple[str, ...]:
    folder, stem = artifact_path.parent, artifact_path.stem
    found = []
    for pattern in _CONFIG_NAMES:
        candidate = folder / pattern.format(stem=stem)
        if candidate.is_file() and str(candidate) not in found:
            found.append(str(candidate))
    return tuple(found)


def find_recipes(artifact: str, artifact_path: Path, folders: Sequence[Path]) -> list[Recipe]:
    """Ways to rebuild the module saved to `artifact`: save sites first, then load sites.

    `artifact` is the path as the finding names it; `folders` are the project folders to read
    (the scripts' own). Nothing is imported: files are parsed with `ast`.
    """
    files = _project_files(folders)
    parsed = {p: m for p in files if (m := _parse(p)) is not None}
    by_name = {p.stem: m for p, m in parsed.items()}
    saves: list[Recipe] = []
    loads: list[Recipe] = []
    configs = _config_files(artifact_path)
    for path, module in parsed.items():
        resolver = _Resolver(module, by_name)
        for line, owner, scope in _sites(module, resolver, artifact):
            call = _constructor(scope, owner, line)
            if call is None:
                continue
            target = _class_module(module, call, path.parent)
            if target is None:
                continue
            args, kwargs, unknown = _arguments(call, resolver)
            recipe = Recipe(
                module=target[0],
                cls=target[1],
                root=str(path.parent.absolute()),
                site=f"{path.name}:{call.lineno}",
                args=tuple(args),
                kwargs=kwargs,
                unknown=tuple(unknown),
                config_files=configs,
            )
            is_save = _is_save_line(module, line)
            (saves if is_save else loads).append(recipe)
    # The save site first: it built the weights. Fully known arguments first within each.
    return sorted(saves, key=lambda r: bool(r.unknown)) + sorted(
        loads, key=lambda r: bool(r.unknown)
    )


def _is_save_line(module: _Module, line: int) -> bool:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call) and node.lineno == line:
            name = _dotted(node.func) or ""
            if name in _SAVE_CALLS or name.endswith(".save"):
                return True
    return False
