"""The one pass: a libcst module becomes FileFacts (imports, calls, assignments, definitions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from preplint.diagnostics import Span
from preplint.facts.frameworks import canonical
from preplint.facts.model import (
    Arg,
    Assign,
    Call,
    ClassDef,
    Const,
    FileFacts,
    Function,
    Loop,
    Value,
)
from preplint.facts.positions import spans_for

_TEXT_LIMIT = 200
_BINOPS: dict[type, str] = {
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
_NO_SPAN = Span(0, 0, 0, 0)


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


@dataclass
class _Scope:
    qualname: str  # "" for module
    cls: str
    loops: list[int] = field(default_factory=list)
    withs: list[str] = field(default_factory=list)
    returns: list[Value] = field(default_factory=list)


class _Extractor:
    """Walks statements and expressions by hand: cheaper than a generic visitor over every node."""

    def __init__(
        self, module: cst.Module, path: str, module_name: str, source: str | None = None
    ) -> None:
        self.module = module
        self.path = path
        self.module_name = module_name
        self.imports: dict[str, str] = {}
        self.constants: dict[str, Const] = {}
        self.calls: list[dict[str, Any]] = []
        self.call_ids: dict[int, int] = {}  # id(cst.Call) -> call id
        self.assigns: list[dict[str, Any]] = []
        self.functions: list[dict[str, Any]] = []
        self.classes: list[dict[str, Any]] = []
        self.loops: list[dict[str, Any]] = []
        self.stmt = 0
        self.scopes: list[_Scope] = [_Scope("", "")]
        self.condition_depth = 0
        self.wanted: dict[int, Any] = {}
        self.local_functions: set[str] = set()
        self.pending_texts: list[tuple[Value, int]] = []
        self.relative_imports: set[str] = set()
        self.main_guard = False
        self.tf_keras = False  # imports Keras 2 by name: canonical() maps `tf_keras` to `keras`
        self.last_import = 0
        self.source = source

    # --- helpers ------------------------------------------------------------------------

    @property
    def scope(self) -> _Scope:
        return self.scopes[-1]

    def code(self, node: cst.CSTNode) -> str:
        text = self.module.code_for_node(node)
        text = " ".join(text.split())
        return text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 3] + "..."

    def qualify(self, dotted: str) -> str:
        if not dotted:
            return ""
        root, _, rest = dotted.partition(".")
        qual = self.imports.get(root)
        if qual is None:
            return ""
        return canonical(f"{qual}.{rest}" if rest else qual)

    def want(self, node: cst.CSTNode) -> int:
        self.wanted[id(node)] = node
        return id(node)

    # --- statements -----------------------------------------------------------------------

    def run(self) -> None:
        self.block(self.module.body)

    def block(self, body: Any) -> None:
        for stmt in body:
            self.statement(stmt)

    def suite(self, suite: cst.BaseSuite) -> None:
        self.block(suite.body)

    def statement(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self.stmt += 1
                self.small_statement(small)
            if not self.scope.qualname and any(
                isinstance(small, (cst.Import, cst.ImportFrom)) for small in node.body
            ):
                self.last_import = self.want(node)
            return
        self.stmt += 1
        if isinstance(node, cst.FunctionDef):
            self.function_def(node)
        elif isinstance(node, cst.ClassDef):
            self.class_def(node)
        elif isinstance(node, cst.If):
            self.if_statement(node)
        elif isinstance(node, (cst.For, cst.While)):
            self.loop(node)
        elif isinstance(node, cst.With):
            self.with_statement(node)
        elif isinstance(node, (cst.Try, cst.TryStar)):
            self.suite(node.body)
            for handler in node.handlers:
                self.stmt += 1
                self.condition_depth += 1
                self.suite(handler.body)
                self.condition_depth -= 1
            if node.orelse is not None:
                self.suite(node.orelse.body)
            if node.finalbody is not None:
                self.suite(node.finalbody.body)
        elif isinstance(node, cst.Match):
            self.expr(node.subject)
            self.condition_depth += 1
            for case in node.cases:
                self.stmt += 1
                self.suite(case.body)
            self.condition_depth -= 1
        elif isinstance(node, cst.SimpleStatementSuite):
            for small in node.body:
                self.small_statement(small)

    def small_statement(self, node: cst.BaseSmallStatement) -> None:
        if isinstance(node, cst.Expr):
            self.expr(node.value)
        elif isinstance(node, cst.Assign):
            self.expr(node.value)
            targets: list[str] = []
            for target in node.targets:
                self.expr_targets(target.target, targets)
            self.record_assign(targets, node.value, "=", node)
            keys = tuple(
                self.subscript_key(t.target)
                for t in node.targets
                if isinstance(t.target, cst.Subscript)
            )
            if keys and self.assigns and self.assigns[-1]["targets"] == tuple(targets):
                self.assigns[-1]["keys"] = keys
            if len(node.targets) == 1 and not self.scope.qualname:
                self.maybe_constant(node.targets[0].target, node.value)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.expr(node.value)
                targets = []
                self.expr_targets(node.target, targets)
                self.record_assign(targets, node.value, "=", node)
                if not self.scope.qualname:
                    self.maybe_constant(node.target, node.value)
        elif isinstance(node, cst.AugAssign):
            self.expr(node.value)
            targets = []
            self.expr_targets(node.target, targets)
            op = type(node.operator).__name__
            self.record_assign(targets, node.value, op, node)
        elif isinstance(node, cst.Return):
            if node.value is not None:
                self.expr(node.value)
                self.scope.returns.append(self.value(node.value))
        elif isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted_name(alias.name)
                if full.split(".", 1)[0] == "tf_keras":
                    self.tf_keras = True
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.imports[alias.asname.name.value] = canonical(full)
                else:
                    root = full.split(".", 1)[0]
                    self.imports.setdefault(root, root)
                    # `import tensorflow.keras` lets `tensorflow.keras.x` resolve through the root.
        elif isinstance(node, cst.ImportFrom):
            self.import_from(node)
        elif isinstance(node, (cst.Raise, cst.Assert, cst.Del)):
            for child in node.children:
                if isinstance(child, cst.BaseExpression):
                    self.expr(child)

    def import_from(self, node: cst.ImportFrom) -> None:
        base = dotted_name(node.module) if node.module is not None else ""
        if not node.relative and base.split(".", 1)[0] == "tf_keras":
            self.tf_keras = True
        if len(node.relative) == 1 and not isinstance(node.names, cst.ImportStar):
            # Modules beside this file: `from .config import X` → config, `from . import layers` → layers.
            if base:
                self.relative_imports.add(base)
            else:
                self.relative_imports.update(dotted_name(alias.name) for alias in node.names)
        if node.relative:
            # `from .config import X` names a sibling module: keep its own name.
            base = base or self.module_name.rpartition(".")[0]
        if isinstance(node.names, cst.ImportStar):
            self.imports.setdefault(f"*{base}", base)
            return
        for alias in node.names:
            name = dotted_name(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.imports[local] = canonical(f"{base}.{name}" if base else name)

    def expr_targets(self, node: cst.BaseExpression, out: list[str]) -> None:
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

    def subscript_key(self, node: cst.Subscript) -> Const:
        """The literal key of `d["KEY"]`, or None."""
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            return self.const(node.slice[0].slice.value)
        return None

    def maybe_constant(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            const = self.const(value)
            if const is not None:
                self.constants[target.value] = const

    def function_def(self, node: cst.FunctionDef) -> None:
        for deco in node.decorators:
            self.expr(deco.decorator)
        params: list[str] = []
        p = node.params
        annotations: list[str] = []
        defaults: list[Value | None] = []
        for param in (*p.posonly_params, *p.params, *p.kwonly_params):
            params.append(param.name.value)
            annotations.append(
                self.code(param.annotation.annotation) if param.annotation is not None else ""
            )
            if param.default is not None:
                self.expr(param.default)
                defaults.append(self.value(param.default))
            else:
                defaults.append(None)
        star = p.star_arg
        has_varargs = isinstance(star, cst.Param)
        has_kwargs = p.star_kwarg is not None
        outer = self.scope
        qualname = f"{outer.qualname}.{node.name.value}" if outer.qualname else node.name.value
        if outer.cls and not outer.qualname.endswith(outer.cls):
            qualname = f"{outer.qualname}.{node.name.value}"
        if not outer.qualname:
            self.local_functions.add(node.name.value)
        start = self.stmt
        self.scopes.append(
            _Scope(qualname, outer.cls if outer.cls and outer.qualname == outer.cls else "")
        )
        saved_depth = self.condition_depth
        self.condition_depth = 0
        self.suite(node.body)
        self.condition_depth = saved_depth
        scope = self.scopes.pop()
        self.functions.append(
            {
                "name": node.name.value,
                "qualname": qualname,
                "cls": scope.cls,
                "params": tuple(params),
                "decorators": tuple(self.decorator_name(d) for d in node.decorators),
                "returns": tuple(scope.returns),
                "span": self.want(node.name),
                "stmt_start": start,
                "stmt_end": self.stmt,
                "has_varargs": has_varargs,
                "has_kwargs": has_kwargs,
                "annotations": tuple(annotations),
                "defaults": tuple(defaults),
                "positional_only": len(p.posonly_params),
            }
        )

    def decorator_name(self, deco: cst.Decorator) -> str:
        target = deco.decorator
        if isinstance(target, cst.Call):
            target = target.func
        dotted = dotted_name(target)
        return self.qualify(dotted) or dotted

    def class_def(self, node: cst.ClassDef) -> None:
        for deco in node.decorators:
            self.expr(deco.decorator)
        bases: list[str] = []
        for arg in node.bases:
            self.expr(arg.value)
            dotted = dotted_name(arg.value)
            bases.append(self.qualify(dotted) or dotted)
        outer = self.scope
        qualname = f"{outer.qualname}.{node.name.value}" if outer.qualname else node.name.value
        start = self.stmt
        self.scopes.append(_Scope(qualname, qualname))
        first_function = len(self.functions)
        self.suite(node.body)
        self.scopes.pop()
        methods = [
            f for f in self.functions[first_function:] if f["qualname"] == f"{qualname}.{f['name']}"
        ]
        init = next((m for m in methods if m["name"] == "__init__"), None)
        init_params: tuple[str, ...] = ()
        init_has_kwargs = False
        if init is not None:
            init_params = tuple(p for p in init["params"][1:])
            init_has_kwargs = init["has_kwargs"]
        self.classes.append(
            {
                "name": node.name.value,
                "bases": tuple(bases),
                "decorators": tuple(self.decorator_name(d) for d in node.decorators),
                "methods": tuple(m["name"] for m in methods),
                "init_params": init_params,
                "init_has_kwargs": init_has_kwargs,
                "span": self.want(node.name),
                "stmt_start": start,
                "stmt_end": self.stmt,
            }
        )

    def if_statement(self, node: cst.If) -> None:
        self.condition_depth += 1
        self.expr(node.test)
        self.condition_depth -= 1
        main_guard = _is_main_guard(node.test)
        if main_guard and not self.scope.qualname:
            self.main_guard = True
        if not main_guard:
            self.condition_depth += 1
        self.suite(node.body)
        if not main_guard:
            self.condition_depth -= 1
        orelse = node.orelse
        if orelse is not None:
            self.condition_depth += 1
            if isinstance(orelse, cst.If):
                self.stmt += 1
                self.if_statement(orelse)
            else:
                self.suite(orelse.body)
            self.condition_depth -= 1

    def loop(self, node: cst.For | cst.While) -> None:
        loop_id = len(self.loops)
        scope = self.scope
        record: dict[str, Any] = {
            "id": loop_id,
            "kind": "for" if isinstance(node, cst.For) else "while",
            "scope": scope.qualname,
            "parent": scope.loops[-1] if scope.loops else -1,
            "stmt_start": self.stmt,
            "stmt_end": self.stmt,
            "span": self.want(node),
        }
        self.loops.append(record)
        if isinstance(node, cst.For):
            self.expr(node.iter)
            targets: list[str] = []
            self.expr_targets(node.target, targets)
            scope.loops.append(loop_id)
            self.record_assign(targets, node.iter, "for", node.target)
        else:
            scope.loops.append(loop_id)
            self.condition_depth += 1
            self.expr(node.test)
            self.condition_depth -= 1
        self.suite(node.body)
        scope.loops.pop()
        record["stmt_end"] = self.stmt
        if node.orelse is not None:
            self.suite(node.orelse.body)

    def with_statement(self, node: cst.With) -> None:
        names: list[str] = []
        for item in node.items:
            self.expr(item.item)
            target = item.item.func if isinstance(item.item, cst.Call) else item.item
            dotted = dotted_name(target)
            names.append(self.qualify(dotted) or dotted or self.code(item.item))
            if item.asname is not None:
                targets: list[str] = []
                self.expr_targets(item.asname.name, targets)
                self.record_assign(targets, item.item, "with", item)
        self.scope.withs.extend(names)
        self.suite(node.body)
        del self.scope.withs[len(self.scope.withs) - len(names) :]

    # --- expressions ----------------------------------------------------------------------

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
            for child in _sub_nodes(node):
                self.expr(child)
            self.condition_depth -= 1
        else:
            for child in _sub_nodes(node):
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
        qualname = self.qualify(callee)
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

    def value(self, node: cst.BaseExpression, budget: int = 3) -> Value:
        names: list[str] = []
        calls: list[int] = []
        ops: list[str] = []
        self.collect(node, names, calls, ops, 0)
        kind = _kind(node)
        items: tuple[Value, ...] = ()
        if isinstance(node, (cst.Tuple, cst.List)) and len(node.elements) <= 8:
            items = tuple(self.value(el.value) for el in node.elements)
        # Operands of arithmetic and subscripts, a few levels deep: enough to follow `x[i] / 255.0`.
        operands: tuple[Value, ...] = ()
        if budget > 0:
            if type(node) is cst.BinaryOperation:
                operands = (self.value(node.left, budget - 1), self.value(node.right, budget - 1))
            elif type(node) is cst.UnaryOperation:
                operands = (self.value(node.expression, budget - 1),)
            elif type(node) is cst.Subscript:
                operands = (self.value(node.value, budget - 1),)
            elif isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
                operands = (self.value(node.elt, budget - 1),)
        text = _cheap_text(node)
        value = Value(
            kind=kind,
            text=text if text is not None else "",
            names=tuple(dict.fromkeys(names)),
            calls=tuple(calls),
            const=self.const(node),
            ops=tuple(dict.fromkeys(ops)),
            items=items,
            operands=operands,
        )
        if text is None:
            # Filled from the source once spans are known: cheaper than generating code per value.
            self.pending_texts.append((value, id(node)))
            self.wanted[id(node)] = node
        return value

    def collect(
        self, node: cst.CSTNode, names: list[str], calls: list[int], ops: list[str], depth: int
    ) -> None:
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
            ops.append(_BINOPS.get(type(node.operator), "?"))
        elif type(node) is cst.Lambda:
            return
        for child in _sub_nodes(node):
            self.collect(child, names, calls, ops, depth + 1)

    def const(self, node: cst.BaseExpression, depth: int = 0) -> Const:
        """The literal value of an expression, paths joined with '*' for unknown parts."""
        if depth > 20:
            return None
        if type(node) is cst.SimpleString:
            try:
                value = node.evaluated_value
            except Exception:
                return None
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
            callee = dotted_name(node.func)
            qual = self.qualify(callee)
            leaf = callee.rsplit(".", 1)[-1]
            args = [a.value for a in node.args if a.keyword is None and not a.star]
            if qual in ("os.path.join", "posixpath.join") or (
                leaf == "joinpath" and type(node.func) is cst.Attribute
            ):
                parts_c = [self.const(a, depth + 1) for a in args]
                if leaf == "joinpath" and type(node.func) is cst.Attribute:
                    base = self.const(node.func.value, depth + 1)
                    parts_c.insert(0, base if isinstance(base, str) else "*")
                if any(isinstance(p, str) for p in parts_c):
                    return _join(*(p if isinstance(p, str) else "*" for p in parts_c))
                return None
            if qual in (
                "pathlib.Path",
                "pathlib.PurePath",
                "pathlib.PosixPath",
                "os.fspath",
            ) or callee in ("str", "Path"):
                if len(args) == 1:
                    return self.const(args[0], depth + 1)
                if len(args) > 1:
                    parts_c = [self.const(a, depth + 1) for a in args]
                    return _join(*(p if isinstance(p, str) else "*" for p in parts_c))
                return None
            if leaf == "format" and type(node.func) is cst.Attribute:
                template = self.const(node.func.value, depth + 1)
                if isinstance(template, str):
                    import re

                    return re.sub(r"\{[^{}]*\}", "*", template)
        if type(node) is cst.Attribute and node.attr.value in ("parent", "stem"):
            return "*"
        return None

    # --- output ---------------------------------------------------------------------------

    def facts(self) -> FileFacts:
        spans = spans_for(self.module, self.wanted)
        self.fill_texts(spans)

        def span(key: int) -> Span:
            return spans.get(key, _NO_SPAN)

        calls = tuple(
            Call(
                id=c["id"],
                callee=c["callee"],
                qualname=c["qualname"],
                method=c["method"],
                receiver=c["receiver"],
                receiver_call=c["receiver_call"],
                args=c["args"],
                scope=c["scope"],
                loops=c["loops"],
                withs=c["withs"],
                stmt=c["stmt"],
                span=span(c["span"]),
                parent=self._parent_of(c),
                in_condition=c["in_condition"],
            )
            for c in self.calls
        )
        return FileFacts(
            path=self.path,
            module=self.module_name,
            imports=dict(self.imports),
            relative_imports=tuple(sorted(self.relative_imports)),
            main_guard=self.main_guard,
            tf_keras=self.tf_keras,
            constants=dict(self.constants),
            calls=calls,
            assigns=tuple(Assign(**{**a, "span": span(a["span"])}) for a in self.assigns),
            functions=tuple(
                Function(
                    name=f["name"],
                    qualname=f["qualname"],
                    cls=f["cls"],
                    params=f["params"],
                    decorators=f["decorators"],
                    returns=f["returns"],
                    span=span(f["span"]),
                    stmt_start=f["stmt_start"],
                    stmt_end=f["stmt_end"],
                    annotations=f["annotations"],
                    defaults=f["defaults"],
                    positional_only=f["positional_only"],
                    has_varargs=f["has_varargs"],
                )
                for f in self.functions
            ),
            classes=tuple(ClassDef(**{**c, "span": span(c["span"])}) for c in self.classes),
            loops=tuple(Loop(**{**lp, "span": span(lp["span"])}) for lp in self.loops),
            statements=self.stmt,
            last_import_line=span(self.last_import).end_line if self.last_import else 0,
        )

    def fill_texts(self, spans: dict[int, Span]) -> None:
        if not self.pending_texts:
            return
        source = self.source if self.source is not None else self.module.code
        starts = [0]
        find = source.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        for value, key in self.pending_texts:
            span = spans.get(key)
            if span is None or span.line > len(starts) or span.end_line > len(starts):
                continue
            begin = starts[span.line - 1] + span.column - 1
            end = starts[span.end_line - 1] + span.end_column - 1
            text = source[begin:end]
            if "\n" in text or "  " in text:
                text = " ".join(text.split())
            if len(text) > _TEXT_LIMIT:
                text = text[: _TEXT_LIMIT - 3] + "..."
            # Value is frozen for everyone else; the extractor finishes it here, once.
            object.__setattr__(value, "text", text)

    def _parent_of(self, record: dict[str, Any]) -> int:
        return self._parents.get(record["id"], -1)

    def link_parents(self) -> None:
        self._parents: dict[int, int] = {}
        for c in self.calls:
            for arg in c["args"]:
                for child in arg.value.calls:
                    self._parents.setdefault(child, c["id"])
            if c["receiver_call"] >= 0:
                self._parents.setdefault(c["receiver_call"], c["id"])


def _kind(node: cst.BaseExpression) -> str:
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


def _sub_nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    """A node's expression-bearing children: like `.children` without its visitor, or whitespace."""
    kind = type(node)
    names = _SUB_NODE_FIELDS.get(kind)
    if names is None:
        import dataclasses

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


def _cheap_text(node: cst.BaseExpression) -> str | None:
    """The source text of a name, attribute chain or literal without generating code."""
    if type(node) in (cst.Name, cst.Attribute):
        return dotted_name(node) or None
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float)) and not node.lpar:
        return node.value
    return None


def _is_main_guard(test: cst.BaseExpression) -> bool:
    """`if __name__ == "__main__":` (either way round)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    left, right = test.left, test.comparisons[0].comparator
    names = {n.value for n in (left, right) if isinstance(n, cst.Name)}
    strings = {n.evaluated_value for n in (left, right) if isinstance(n, cst.SimpleString)}
    return names == {"__name__"} and "__main__" in strings


def _is_pathish(node: cst.BaseExpression) -> bool:
    text = dotted_name(node)
    return bool(text) or isinstance(node, (cst.Call, cst.BinaryOperation, cst.Attribute))


def _join(*parts: str) -> str:
    cleaned = [p for p in parts if p != ""]
    out = "/".join(p.rstrip("/") if i < len(cleaned) - 1 else p for i, p in enumerate(cleaned))
    return out


def extract(
    module: cst.Module, path: str, module_name: str, source: str | None = None
) -> FileFacts:
    """FileFacts of a parsed module; `source` (the text it was parsed from) makes it faster."""
    extractor = _Extractor(module, path, module_name, source)
    extractor.run()
    extractor.link_parents()
    return extractor.facts()


def module_name_for(path: str) -> str:
    """A dotted module name from a relative path: 'src/pkg/train.py' → 'src.pkg.train'."""
    stem = path[:-3] if path.endswith(".py") else path.rsplit(".", 1)[0]
    parts = [p for p in stem.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)
