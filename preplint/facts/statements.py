"""The walk through statements: scopes, definitions, loops, branches and module-level facts."""

from __future__ import annotations

from typing import Any

import libcst as cst

from preplint.facts.expressions import ExpressionWalker, Scope
from preplint.facts.model import Value
from preplint.facts.nodes import TEXT_LIMIT, dotted_name, is_main_guard


class StatementWalker(ExpressionWalker):
    """Walks a module's statements, counting them, and records functions, classes and loops."""

    def __init__(self, module: cst.Module, module_name: str) -> None:
        super().__init__(module_name)
        self.module = module
        self.functions: list[dict[str, Any]] = []
        self.classes: list[dict[str, Any]] = []
        self.loops: list[dict[str, Any]] = []
        self.main_guard = False
        self.last_import = 0  # want() key of the last module-level import line, 0 if none

    def code(self, node: cst.CSTNode) -> str:
        text = self.module.code_for_node(node)
        text = " ".join(text.split())
        return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 3] + "..."

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
                self.literals.subscript_key(t.target)
                for t in node.targets
                if isinstance(t.target, cst.Subscript)
            )
            if keys and self.assigns and self.assigns[-1]["targets"] == tuple(targets):
                self.assigns[-1]["keys"] = keys
            if len(node.targets) == 1 and not self.scope.qualname:
                self.literals.remember(node.targets[0].target, node.value)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.expr(node.value)
                targets = []
                self.expr_targets(node.target, targets)
                self.record_assign(targets, node.value, "=", node)
                if not self.scope.qualname:
                    self.literals.remember(node.target, node.value)
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
            self.imports.add_import(node)
        elif isinstance(node, cst.ImportFrom):
            self.imports.add_import_from(node)
        elif isinstance(node, (cst.Raise, cst.Assert, cst.Del)):
            for child in node.children:
                if isinstance(child, cst.BaseExpression):
                    self.expr(child)

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
            Scope(qualname, outer.cls if outer.cls and outer.qualname == outer.cls else "")
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
        return self.imports.qualify(dotted) or dotted

    def class_def(self, node: cst.ClassDef) -> None:
        for deco in node.decorators:
            self.expr(deco.decorator)
        bases: list[str] = []
        for arg in node.bases:
            self.expr(arg.value)
            dotted = dotted_name(arg.value)
            bases.append(self.imports.qualify(dotted) or dotted)
        outer = self.scope
        qualname = f"{outer.qualname}.{node.name.value}" if outer.qualname else node.name.value
        start = self.stmt
        self.scopes.append(Scope(qualname, qualname))
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
        main_guard = is_main_guard(node.test)
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
            names.append(self.imports.qualify(dotted) or dotted or self.code(item.item))
            if item.asname is not None:
                targets: list[str] = []
                self.expr_targets(item.asname.name, targets)
                self.record_assign(targets, item.item, "with", item)
        self.scope.withs.extend(names)
        self.suite(node.body)
        del self.scope.withs[len(self.scope.withs) - len(names) :]
