"""The walk through expressions: every call and every assignment target, in its scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from preplint.facts.imports import ImportTable
from preplint.facts.literals import Literals
from preplint.facts.model import Arg, Value
from preplint.facts.nodes import dotted_name, sub_nodes
from preplint.facts.positions import Wanted
from preplint.facts.values import ValueDescriber


@dataclass
class Scope:
    """The function or class body the walk is in, and what encloses the current statement."""

    qualname: str  # "" for module
    cls: str
    loops: list[int] = field(default_factory=list)
    withs: list[str] = field(default_factory=list)
    returns: list[Value] = field(default_factory=list)


class ExpressionWalker:
    """Records calls and assignments as plain dicts; the statement walk builds on it.

    Walks by hand, dispatching on `type(node)`: cheaper than a generic visitor over every node.
    """

    def __init__(self, module_name: str) -> None:
        self.imports = ImportTable(module_name)
        self.literals = Literals(self.imports)
        self.call_ids: dict[int, int] = {}  # id(cst.Call) -> call id
        self.wanted = Wanted()  # the nodes that need a span
        self.values = ValueDescriber(self.literals, self.call_ids, self.wanted)
        self.calls: list[dict[str, Any]] = []
        self.assigns: list[dict[str, Any]] = []
        self.stmt = 0
        self.scopes: list[Scope] = [Scope("", "")]
        self.condition_depth = 0
        self.local_functions: set[str] = set()

    @property
    def scope(self) -> Scope:
        return self.scopes[-1]

    def want(self, node: cst.CSTNode) -> int:
        """Ask for `node`'s span; the key to read it by once spans are computed."""
        return self.wanted.want(node)

    def value(self, node: cst.BaseExpression) -> Value:
        return self.values.describe(node)

    def expr(self, node: cst.CSTNode) -> None:
        """Record every call inside `node`, innermost first."""
        if type(node) is cst.Call:
            self.call(node)
        elif type(node) in (cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary):
            return
        elif type(node) is cst.Attribute:
            self.expr(node.value)
        elif type(node) is cst.CompFor:
            # `[model(x) for x, _ in loader]`: the loop variables get their origin, like a for loop.
            self.expr(node.iter)
            targets: list[str] = []
            self.expr_targets(node.target, targets)
            self.record_assign(targets, node.iter, "comp", node.target)
            for cond in node.ifs:
                self.expr(cond)
            if node.inner_for_in is not None:
                self.expr(node.inner_for_in)
        elif type(node) is cst.BinaryOperation:
            self.expr(node.left)
            self.expr(node.right)
        elif isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            for el in node.elements:
                self.expr(el.value)
        elif type(node) is cst.Subscript:
            self.expr(node.value)
            for element in node.slice:
                sl = element.slice
                if type(sl) is cst.Index:
                    self.expr(sl.value)
                elif type(sl) is cst.Slice:
                    for part in (sl.lower, sl.upper, sl.step):
                        if part is not None:
                            self.expr(part)
        elif type(node) is cst.Lambda:
            return  # a lambda's body runs later, elsewhere
        elif type(node) in (cst.IfExp, cst.BooleanOperation):
            self.condition_depth += 1
            for child in sub_nodes(node):
                self.expr(child)
            self.condition_depth -= 1
        else:
            for child in sub_nodes(node):
                self.expr(child)

    def call(self, node: cst.Call) -> None:
        func = node.func
        receiver_call = -1
        receiver = ""
        method = ""
        callee = dotted_name(func)
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            base = func.value
            receiver = dotted_name(base)
            if not receiver:
                self.expr(base)
                inner = base
                if isinstance(inner, cst.Call):
                    receiver_call = self.call_ids.get(id(inner), -1)
                receiver = ""
        elif not isinstance(func, cst.Name):
            self.expr(func)
        for arg in node.args:
            self.expr(arg.value)
        call_id = len(self.calls)
        self.call_ids[id(node)] = call_id
        args = tuple(
            Arg(
                arg.keyword.value if arg.keyword is not None else None,
                self.value(arg.value),
                arg.star if isinstance(arg.star, str) else "",
            )
            for arg in node.args
        )
        qualname = self.imports.qualify(callee)
        if not qualname and callee in self.local_functions:
            qualname = ""
        scope = self.scope
        self.calls.append(
            {
                "id": call_id,
                "callee": callee,
                "qualname": qualname,
                "method": method,
                "receiver": receiver,
                "receiver_call": receiver_call,
                "args": args,
                "scope": scope.qualname,
                "loops": tuple(scope.loops),
                "withs": tuple(scope.withs),
                "stmt": self.stmt,
                "span": self.want(node),
                "in_condition": self.condition_depth > 0,
                "node": node,
            }
        )

    def expr_targets(self, node: cst.BaseExpression, out: list[str]) -> None:
        """The dotted names an assignment target binds, into `out` (`d[k]` as `d[]`)."""
        if isinstance(node, (cst.Tuple, cst.List)):
            for el in node.elements:
                value = el.value
                if isinstance(value, cst.StarredElement):
                    value = value.value
                self.expr_targets(value, out)
            return
        if isinstance(node, cst.StarredElement):
            self.expr_targets(node.value, out)
            return
        name = dotted_name(node)
        if name:
            out.append(name)
        elif isinstance(node, cst.Subscript):
            base = dotted_name(node.value)
            if base:
                out.append(base + "[]")
            self.expr(node)

    def record_assign(
        self, targets: list[str], value: cst.BaseExpression, op: str, node: cst.CSTNode
    ) -> None:
        if not targets:
            return
        self.assigns.append(
            {
                "targets": tuple(targets),
                "value": self.value(value),
                "op": op,
                "scope": self.scope.qualname,
                "loops": tuple(self.scope.loops),
                "stmt": self.stmt,
                "span": self.want(node),
            }
        )
