"""libcst node helpers with no state: dotted names, expression kinds, expression-bearing children."""

from __future__ import annotations

import ast
import dataclasses

import libcst as cst

TEXT_LIMIT = 200
BINOPS: dict[type, str] = {
    cst.Add: "+",
    cst.Subtract: "-",
    cst.Multiply: "*",
    cst.Divide: "/",
    cst.FloorDivide: "//",
    cst.Power: "**",
    cst.MatrixMultiply: "@",
    cst.Modulo: "%",
    cst.BitOr: "|",
    cst.BitAnd: "&",
}


def dotted_name(node: cst.BaseExpression) -> str:
    """`a.b.c` for a Name/Attribute chain, '' for anything else."""
    parts: list[str] = []
    while type(node) is cst.Attribute:
        parts.append(node.attr.value)
        node = node.value
    if type(node) is cst.Name:
        parts.append(node.value)
        return ".".join(reversed(parts))
    return ""


def expression_kind(node: cst.BaseExpression) -> str:
    """The `Value.kind` of an expression: call, name, attr, const, binop, tuple ... or other."""
    if type(node) is cst.Call:
        return "call"
    if type(node) is cst.Name:
        return "const" if node.value in ("True", "False", "None") else "name"
    if type(node) is cst.Attribute:
        return "attr" if dotted_name(node) else "other"
    if isinstance(
        node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float, cst.Imaginary)
    ):
        return "const"
    if type(node) is cst.FormattedString:
        return "fstring"
    if type(node) is cst.BinaryOperation:
        return "binop"
    if type(node) is cst.UnaryOperation:
        return "unary"
    if type(node) is cst.Subscript:
        return "subscript"
    if type(node) is cst.Tuple:
        return "tuple"
    if type(node) is cst.List:
        return "list"
    if type(node) is cst.Dict:
        return "dict"
    if type(node) is cst.Comparison:
        return "compare"
    if type(node) is cst.Lambda:
        return "lambda"
    return "other"


_SUB_NODE_FIELDS: dict[type, tuple[str, ...]] = {}
_SKIPPED_FIELD_PREFIXES = (
    "whitespace",
    "lpar",
    "rpar",
    "comma",
    "operator",
    "semicolon",
    "colon",
    "equal",
    "star_tok",
    "lbrace",
    "rbrace",
    "lbracket",
    "rbracket",
    "asynchronous",
    "header",
    "leading_lines",
    "footer",
)


def sub_nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    """A node's expression-bearing children: like `.children` without its visitor, or whitespace."""
    kind = type(node)
    names = _SUB_NODE_FIELDS.get(kind)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node)
            if not f.name.startswith(_SKIPPED_FIELD_PREFIXES)
        )
        _SUB_NODE_FIELDS[kind] = names
    out: list[cst.CSTNode] = []
    node_types = _node_types()
    for name in names:
        value = getattr(node, name)
        kind = type(value)
        if kind in node_types:
            out.append(value)
        elif kind is tuple or kind is list:
            out.extend(v for v in value if type(v) in node_types)
    return out


_NODE_TYPES: frozenset[type] = frozenset()


def _node_types() -> frozenset[type]:
    """Every concrete libcst node class: `type(x) in` this is `isinstance(x, cst.CSTNode)`
    without the ABC machinery, which took a tenth of extraction."""
    global _NODE_TYPES
    if not _NODE_TYPES:
        found: set[type] = set()
        todo: list[type] = [cst.CSTNode]
        while todo:
            cls = todo.pop()
            subclasses: list[type] = cls.__subclasses__()
            for sub in subclasses:
                if sub not in found:
                    found.add(sub)
                    todo.append(sub)
        _NODE_TYPES = frozenset(found)
    return _NODE_TYPES


def cheap_text(node: cst.BaseExpression) -> str | None:
    """The source text of a name, attribute chain or literal without generating code."""
    if type(node) in (cst.Name, cst.Attribute):
        return dotted_name(node) or None
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float)) and not node.lpar:
        return node.value
    return None


def string_value(literal: str) -> str | bytes | None:
    """What a string literal's text (`SimpleString.value`) stands for, as `evaluated_value`
    gives it, or None where Python refuses it. Not `evaluated_value`: `ast.literal_eval` leaves
    four self-referencing closures per call, garbage only the cyclic collector frees, and a run
    works with that collector off (a 5,608-file run left some 200 MB of them)."""
    start = 0
    while start < len(literal) and literal[start] not in "'\"":
        start += 1
    prefix = literal[:start].lower()
    body = literal[start:]
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    inner = body[len(quote) : len(body) - len(quote)]
    plain = quote and len(body) >= 2 * len(quote) and prefix in ("", "r", "u") and "\r" not in inner
    if plain and (prefix == "r" or "\\" not in inner):
        return inner  # no escapes to read (Python reads a line end inside as "\n": not here)
    try:
        tree = compile(literal, "<literal>", "eval", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    body_node = getattr(tree, "body", None)
    value = getattr(body_node, "value", None) if isinstance(body_node, ast.Constant) else None
    return value if isinstance(value, (str, bytes)) else None


def is_main_guard(test: cst.BaseExpression) -> bool:
    """`if __name__ == "__main__":` (either way round)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    left, right = test.left, test.comparisons[0].comparator
    names = {n.value for n in (left, right) if isinstance(n, cst.Name)}
    strings = {string_value(n.value) for n in (left, right) if isinstance(n, cst.SimpleString)}
    return names == {"__name__"} and "__main__" in strings
