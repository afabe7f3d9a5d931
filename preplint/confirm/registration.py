"""Finds, by reading source only, whether a module registers a Keras class under a given name."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_REGISTER = "register_keras_serializable"


@dataclass(frozen=True)
class Registration:
    """Where the module an artifact's config names was found, and what it registers."""

    class_name: str
    module: str
    source: str | None  # the module's file, when it is importable from the search paths
    registered_as: str | None  # "package>Name" the decorator gives, when the class is registered

    def to_json(self) -> dict[str, str | None]:
        return {
            "class_name": self.class_name,
            "module": self.module,
            "source": self.source,
            "registered_as": self.registered_as,
        }


def find_module_source(module: str, search_paths: Sequence[str]) -> Path | None:
    """The file `import module` would run from one of `search_paths`, found without importing."""
    if not module or module == "__main__" or not all(p.isidentifier() for p in module.split(".")):
        return None
    relative = Path(*module.split("."))
    for root in search_paths:
        for candidate in (
            Path(root) / relative.with_suffix(".py"),
            Path(root) / relative / "__init__.py",
        ):
            if candidate.is_file():
                return candidate
    return None


def _string_argument(call: ast.Call, keyword: str, position: int) -> str | None:
    values = [kw.value for kw in call.keywords if kw.arg == keyword] + list(
        call.args[position : position + 1]
    )
    if values and isinstance(values[0], ast.Constant) and isinstance(values[0].value, str):
        return values[0].value
    return None


def _registered_name(decorator: ast.expr, class_name: str) -> str | None:
    """The "package>name" a `register_keras_serializable(...)` decorator gives, if it is one."""
    call = decorator if isinstance(decorator, ast.Call) else None
    target = call.func if call else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
    if name != _REGISTER:
        return None
    package = (_string_argument(call, "package", 0) if call else None) or "Custom"
    registered = (_string_argument(call, "name", 1) if call else None) or class_name
    return f"{package}>{registered}"


def find_registration(class_name: str, module: str, search_paths: Sequence[str]) -> Registration:
    """Whether `module` (as a loader would import it) defines `class_name` registered for Keras."""
    source = find_module_source(module, search_paths)
    if source is None:
        return Registration(class_name, module, None, None)
    try:
        tree = ast.parse(source.read_bytes())
    except (SyntaxError, ValueError, OSError):
        return Registration(class_name, module, str(source), None)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for decorator in node.decorator_list:
                registered = _registered_name(decorator, class_name)
                if registered is not None:
                    return Registration(class_name, module, str(source), registered)
    return Registration(class_name, module, str(source), None)


def find_class_module(
    class_name: str, module: str | None, search_paths: Sequence[str]
) -> str | None:
    """The project module that defines `class_name`: the one its config names, else the first
    top-level module in `search_paths` whose source has `class <class_name>` (found by parsing)."""
    if module and module != "__main__":
        return module if find_module_source(module, search_paths) is not None else None
    for root in search_paths:
        folder = Path(root)
        if not folder.is_dir():
            continue
        for candidate in sorted(folder.glob("*.py"))[:_MAX_SCANNED]:
            if not candidate.stem.isidentifier():
                continue
            try:
                if candidate.stat().st_size > _MAX_SOURCE or f"class {class_name}" not in (
                    candidate.read_text(encoding="utf-8", errors="replace")
                ):
                    continue
                tree = ast.parse(candidate.read_bytes())
            except (OSError, SyntaxError, ValueError, RecursionError):
                continue
            if any(isinstance(n, ast.ClassDef) and n.name == class_name for n in tree.body):
                return candidate.stem
    return None


_MAX_SCANNED = 200
_MAX_SOURCE = 1 << 20
