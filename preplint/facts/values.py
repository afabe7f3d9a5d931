"""`Value`s: what an expression reads, calls and computes, summarised without its tree."""

from __future__ import annotations

import libcst as cst

from preplint.diagnostics import Span
from preplint.facts.literals import Literals
from preplint.facts.model import Value
from preplint.facts.nodes import (
    BINOPS,
    TEXT_LIMIT,
    cheap_text,
    dotted_name,
    expression_kind,
    sub_nodes,
)
from preplint.facts.positions import Wanted, line_starts


class ValueDescriber:
    """Describes expressions as `Value`s; texts that need the source wait for the spans.

    `call_ids` (id of a recorded `cst.Call` -> its call id) and `wanted` (nodes that need a
    span) are shared with the walk that records calls.
    """

    def __init__(self, literals: Literals, call_ids: dict[int, int], wanted: Wanted) -> None:
        self.literals = literals
        self.call_ids = call_ids
        self.wanted = wanted
        self.pending_texts: list[tuple[Value, int]] = []

    def describe(self, node: cst.BaseExpression, budget: int = 3) -> Value:
        names: list[str] = []
        calls: list[int] = []
        ops: list[str] = []
        self.collect(node, names, calls, ops, 0)
        kind = expression_kind(node)
        items: tuple[Value, ...] = ()
        if isinstance(node, (cst.Tuple, cst.List)) and len(node.elements) <= 8:
            items = tuple(self.describe(el.value) for el in node.elements)
        # Operands of arithmetic and subscripts, a few levels deep: enough to follow `x[i] / 255.0`.
        operands: tuple[Value, ...] = ()
        if budget > 0:
            if type(node) is cst.BinaryOperation:
                operands = (
                    self.describe(node.left, budget - 1),
                    self.describe(node.right, budget - 1),
                )
            elif type(node) is cst.UnaryOperation:
                operands = (self.describe(node.expression, budget - 1),)
            elif type(node) is cst.Subscript:
                operands = (self.describe(node.value, budget - 1),)
            elif isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
                operands = (self.describe(node.elt, budget - 1),)
        text = cheap_text(node)
        value = Value(
            kind=kind,
            text=text if text is not None else "",
            names=tuple(dict.fromkeys(names)),
            calls=tuple(calls),
            const=self.literals.const(node),
            ops=tuple(dict.fromkeys(ops)),
            items=items,
            operands=operands,
        )
        if text is None:
            # Filled from the source once spans are known: cheaper than generating code per value.
            self.pending_texts.append((value, self.wanted.want(node)))
        return value

    def collect(
        self, node: cst.CSTNode, names: list[str], calls: list[int], ops: list[str], depth: int
    ) -> None:
        """The dotted names `node` reads, the recorded calls in it, its arithmetic operators."""
        if depth > 40:
            return
        if type(node) is cst.Name or type(node) is cst.Attribute:
            dotted = dotted_name(node)
            if dotted:
                names.append(dotted)
                return
        if type(node) is cst.Call:
            call_id = self.call_ids.get(id(node))
            if call_id is not None:
                calls.append(call_id)
            # The callee is not data: `scaler.transform(X)` reads X (the call is recorded).
            func = node.func
            if type(func) is cst.Attribute and not dotted_name(func):
                self.collect(func.value, names, calls, ops, depth + 1)
            for arg in node.args:
                self.collect(arg.value, names, calls, ops, depth + 1)
            return
        elif type(node) is cst.BinaryOperation:
            ops.append(BINOPS.get(type(node.operator), "?"))
        elif type(node) is cst.Lambda:
            return
        for child in sub_nodes(node):
            self.collect(child, names, calls, ops, depth + 1)

    def fill_texts(self, source: str, spans: dict[int, Span]) -> None:
        """Give the values still without text theirs, sliced from `source` by their spans."""
        if not self.pending_texts:
            return
        starts = line_starts(source)
        for value, key in self.pending_texts:
            span = spans.get(key)
            if span is None or span.line > len(starts) or span.end_line > len(starts):
                continue
            begin = starts[span.line - 1] + span.column - 1
            end = starts[span.end_line - 1] + span.end_column - 1
            text = source[begin:end]
            if "\n" in text or "  " in text:
                text = " ".join(text.split())
            if len(text) > TEXT_LIMIT:
                text = text[: TEXT_LIMIT - 3] + "..."
            # Value is frozen for everyone else; the describer finishes it here, once.
            object.__setattr__(value, "text", text)
