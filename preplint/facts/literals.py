"""Literal values of expressions: strings, numbers, module constants, and paths built from them."""

from __future__ import annotations

import re

import libcst as cst

from preplint.facts.imports import ImportTable
from preplint.facts.model import Const
from preplint.facts.nodes import dotted_name, string_value

_PATH_CALLS = ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "os.fspath")


class Literals:
    """Reads literals through the file's module-level constants and imports (`os.path.join`)."""

    def __init__(self, imports: ImportTable) -> None:
        self.imports = imports
        self.constants: dict[str, Const] = {}

    def remember(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        """A module-level `NAME = <literal>` becomes a constant later expressions can read."""
        if isinstance(target, cst.Name):
            const = self.const(value)
            if const is not None:
                self.constants[target.value] = const

    def subscript_key(self, node: cst.Subscript) -> Const:
        """The literal key of `d["KEY"]`, or None."""
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            return self.const(node.slice[0].slice.value)
        return None

    def const(self, node: cst.BaseExpression, depth: int = 0) -> Const:
        """The literal value of an expression, paths joined with '*' for unknown parts."""
        if depth > 20:
            return None
        if type(node) is cst.SimpleString:
            value = string_value(node.value)
            return value if isinstance(value, str) else None
        if type(node) is cst.ConcatenatedString:
            left = self.const(node.left, depth + 1)
            right = self.const(node.right, depth + 1)
            return left + right if isinstance(left, str) and isinstance(right, str) else None
        if type(node) is cst.Integer:
            try:
                return int(node.value.replace("_", ""), 0)
            except ValueError:
                return None
        if type(node) is cst.Float:
            try:
                return float(node.value.replace("_", ""))
            except ValueError:
                return None
        if type(node) is cst.UnaryOperation and type(node.operator) is cst.Minus:
            inner = self.const(node.expression, depth + 1)
            return (
                -inner if isinstance(inner, (int, float)) and not isinstance(inner, bool) else None
            )
        if type(node) is cst.Name:
            if node.value in ("True", "False"):
                return node.value == "True"
            if node.value == "None":
                return None
            return self.constants.get(node.value)
        if type(node) is cst.FormattedString:
            parts: list[str] = []
            for part in node.parts:
                if type(part) is cst.FormattedStringText:
                    parts.append(part.value)
                elif type(part) is cst.FormattedStringExpression:
                    inner = self.const(part.expression, depth + 1)
                    parts.append(str(inner) if isinstance(inner, (str, int)) else "*")
            return "".join(parts)
        if type(node) is cst.BinaryOperation and isinstance(node.operator, (cst.Divide, cst.Add)):
            left = self.const(node.left, depth + 1)
            right = self.const(node.right, depth + 1)
            if type(node.operator) is cst.Add:
                return left + right if isinstance(left, str) and isinstance(right, str) else None
            if isinstance(right, str) and (isinstance(left, str) or _is_pathish(node.left)):
                return _join(left if isinstance(left, str) else "*", right)
            return None
        if type(node) is cst.Call:
            return self._call(node, depth)
        if type(node) is cst.Attribute and node.attr.value in ("parent", "stem"):
            return "*"
        return None

    def _call(self, node: cst.Call, depth: int) -> Const:
        """Paths built by calls: `os.path.join`, `Path(...)`, `.joinpath`, `str(...)`, `.format`."""
        callee = dotted_name(node.func)
        qual = self.imports.qualify(callee)
        leaf = callee.rsplit(".", 1)[-1]
        args = [a.value for a in node.args if a.keyword is None and not a.star]
        if qual in ("os.path.join", "posixpath.join") or (
            leaf == "joinpath" and type(node.func) is cst.Attribute
        ):
            parts = [self.const(a, depth + 1) for a in args]
            if leaf == "joinpath" and type(node.func) is cst.Attribute:
                base = self.const(node.func.value, depth + 1)
                parts.insert(0, base if isinstance(base, str) else "*")
            if any(isinstance(p, str) for p in parts):
                return _join(*(p if isinstance(p, str) else "*" for p in parts))
            return None
        if qual in _PATH_CALLS or callee in ("str", "Path"):
            if len(args) == 1:
                return self.const(args[0], depth + 1)
            if len(args) > 1:
                parts = [self.const(a, depth + 1) for a in args]
                return _join(*(p if isinstance(p, str) else "*" for p in parts))
            return None
        if leaf == "format" and type(node.func) is cst.Attribute:
            template = self.const(node.func.value, depth + 1)
            if isinstance(template, str):
                return re.sub(r"\{[^{}]*\}", "*", template)
        return None


def _is_pathish(node: cst.BaseExpression) -> bool:
    text = dotted_name(node)
    return bool(text) or isinstance(node, (cst.Call, cst.BinaryOperation, cst.Attribute))


def _join(*parts: str) -> str:
    cleaned = [p for p in parts if p != ""]
    out = "/".join(p.rstrip("/") if i < len(cleaned) - 1 else p for i, p in enumerate(cleaned))
    return out
