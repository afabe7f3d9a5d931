"""FileFacts and its parts: frozen, plain-value records of what one file does."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from preplint.diagnostics import Span

Const = str | int | float | bool | None


@dataclass(frozen=True)
class Value:
    """A summary of one expression: enough for data-flow questions, no tree."""

    kind: str  # call | name | attr | const | binop | unary | subscript | tuple | list | dict | compare | fstring | lambda | other
    text: str  # the expression's source, cut to 200 characters
    names: tuple[
        str, ...
    ] = ()  # dotted names read, in source order ("x", "self.model", "np.float32")
    calls: tuple[int, ...] = ()  # ids of the calls inside, outermost first
    const: Const = None  # the literal value, strings resolved through module constants and joins
    ops: tuple[str, ...] = ()  # binary operators ("/", "-", "*", "+", "**", "@")
    items: tuple[Value, ...] = ()  # elements of a tuple/list literal
    operands: tuple[
        Value, ...
    ] = ()  # binop: (left, right); unary: (operand,); subscript: (base,); comprehension: (element,); 3 levels deep

    @property
    def call(self) -> int:
        """The id of the call this expression is, or -1."""
        return self.calls[0] if self.kind == "call" and self.calls else -1

    @property
    def name(self) -> str:
        """The dotted name this expression is, or ''."""
        return self.text if self.kind in ("name", "attr") else ""


@dataclass(frozen=True)
class Arg:
    keyword: str | None
    value: Value
    star: str = ""  # "", "*" or "**"


@dataclass(frozen=True)
class Call:
    id: int  # evaluation order in the file: receivers and arguments come before the call
    callee: str  # dotted text of the callee ("scaler.fit", "torch.load"), "" when not a dotted name
    qualname: str  # canonical qualified name when the callee's root is imported, else ""
    method: str  # last attribute of an attribute callee ("fit"), "" for a plain name call
    receiver: str  # dotted text before the method ("scaler", "self.model"), "" if none
    receiver_call: int  # id of the call the method is called on (StandardScaler().fit), else -1
    args: tuple[Arg, ...]
    scope: str  # "" at module level, else the function's qualname ("Trainer.fit")
    loops: tuple[int, ...]  # enclosing loop ids, outermost first
    withs: tuple[str, ...]  # qualnames (or callee texts) of enclosing `with` items
    stmt: int  # index of the enclosing statement in file order
    span: Span
    parent: int = -1  # id of the call this one is an argument of, or -1
    in_condition: bool = False  # inside an `if`/`while` test or a conditional branch

    @property
    def name(self) -> str:
        """What the call is: the qualified name if known, else the callee text."""
        return self.qualname or self.callee

    def arg(self, position: int | None = None, keyword: str | None = None) -> Arg | None:
        if keyword is not None:
            for a in self.args:
                if a.keyword == keyword:
                    return a
        if position is not None:
            positional = [a for a in self.args if a.keyword is None and not a.star]
            if position < len(positional):
                return positional[position]
        return None

    def kwarg_const(self, keyword: str, default: Const = None) -> Const:
        a = self.arg(keyword=keyword)
        return a.value.const if a is not None else default

    def has_kwarg(self, keyword: str) -> bool:
        return any(a.keyword == keyword for a in self.args) or any(
            a.star == "**" for a in self.args
        )


@dataclass(frozen=True)
class Assign:
    targets: tuple[str, ...]  # dotted targets, tuple unpacking flattened in order ("X_tr", "X_te")
    value: Value
    op: str  # "=", "AddAssign", ..., "for" (loop target), "comp" (comprehension target), "with" (as-target)
    scope: str
    loops: tuple[int, ...]
    stmt: int
    span: Span
    keys: tuple[
        Const, ...
    ] = ()  # literal keys of subscript targets, in order (`os.environ["X"] = ...` → ("X",))


@dataclass(frozen=True)
class Function:
    name: str
    qualname: str  # "predict", "Trainer.fit", "main.inner"
    cls: str  # enclosing class name or ""
    params: tuple[str, ...]
    decorators: tuple[str, ...]  # canonical qualnames or texts
    returns: tuple[Value, ...]
    span: Span  # the `def` line
    stmt_start: int
    stmt_end: int
    annotations: tuple[
        str, ...
    ] = ()  # each param's annotation text ('' if none), aligned with params
    defaults: tuple[
        Value | None, ...
    ] = ()  # each param's default (None if none), aligned with params
    positional_only: int = 0  # how many leading params are positional-only (before `/`)
    has_varargs: bool = False  # takes `*args`


@dataclass(frozen=True)
class ClassDef:
    name: str
    bases: tuple[str, ...]  # canonical qualnames, or texts for local names
    decorators: tuple[str, ...]
    methods: tuple[str, ...]
    init_params: tuple[str, ...]  # named params of __init__ beyond self (no *args/**kwargs)
    init_has_kwargs: bool
    span: Span
    stmt_start: int
    stmt_end: int


@dataclass(frozen=True)
class Loop:
    id: int
    kind: str  # "for" | "while"
    scope: str
    parent: int  # enclosing loop id or -1
    stmt_start: int  # first statement index of the loop (its header)
    stmt_end: int  # last statement index inside the loop
    span: Span


@dataclass(frozen=True)
class Statement:
    """Minimal per-statement record for ordering and suppression-free lookups."""

    index: int
    scope: str
    line: int


@dataclass(frozen=True)
class FileFacts:
    path: str  # display path
    module: str  # dotted module name guessed from the path ("src.train" → "train")
    imports: dict[str, str]  # local name → canonical qualified name
    constants: dict[str, Const]  # module-level NAME → literal value
    calls: tuple[Call, ...]
    assigns: tuple[Assign, ...]
    functions: tuple[Function, ...]
    classes: tuple[ClassDef, ...]
    loops: tuple[Loop, ...]
    statements: int  # number of statements
    last_import_line: int = 0  # last line of the last module-level import (where fixes add imports)
    relative_imports: tuple[str, ...] = ()  # sibling modules imported with one leading dot
    main_guard: bool = False  # has `if __name__ == "__main__":` at module level: a script
    tf_keras: bool = False  # imports `tf_keras` (Keras 2), which canonical names fold into `keras`
    syntax_error: str | None = None
    syntax_span: Span | None = None
    cell_map: tuple[tuple[int, int, int], ...] = ()  # notebook: per line (cell, line, shift)

    # --- queries shared by rules ------------------------------------------------------

    @cached_property
    def call_by_id(self) -> dict[int, Call]:
        return {c.id: c for c in self.calls}

    @cached_property
    def function_by_qualname(self) -> dict[str, Function]:
        return {f.qualname: f for f in self.functions}

    @cached_property
    def class_by_name(self) -> dict[str, ClassDef]:
        return {c.name: c for c in self.classes}

    @cached_property
    def loop_by_id(self) -> dict[int, Loop]:
        return {lp.id: lp for lp in self.loops}

    @cached_property
    def imported_roots(self) -> frozenset[str]:
        return frozenset(q.split(".", 1)[0] for q in self.imports.values())

    def uses(self, root: str) -> bool:
        """Whether the file imports anything from the top-level package `root`."""
        return root in self.imported_roots

    def resolve(self, dotted: str) -> str:
        """Canonical qualified name of a dotted expression, or '' when its root is not imported."""
        from preplint.facts.frameworks import canonical

        root, _, rest = dotted.partition(".")
        qual = self.imports.get(root)
        if qual is None:
            return ""
        return canonical(f"{qual}.{rest}" if rest else qual)

    def calls_named(self, *qualnames: str) -> Iterator[Call]:
        wanted = set(qualnames)
        return (c for c in self.calls if c.qualname in wanted)

    def method_calls(self, *methods: str) -> Iterator[Call]:
        wanted = set(methods)
        return (c for c in self.calls if c.method in wanted)

    def calls_in_scope(self, scope: str) -> Iterator[Call]:
        return (c for c in self.calls if c.scope == scope)

    @cached_property
    def assigns_by_target(self) -> dict[str, tuple[Assign, ...]]:
        """Assignments by each target name, in statement order (for data-flow look-ups)."""
        table: dict[str, list[Assign]] = {}
        for a in self.assigns:
            for target in a.targets:
                table.setdefault(target, []).append(a)
        return {name: tuple(found) for name, found in table.items()}

    @cached_property
    def calls_by_stmt(self) -> dict[int, tuple[Call, ...]]:
        table: dict[int, list[Call]] = {}
        for c in self.calls:
            table.setdefault(c.stmt, []).append(c)
        return {stmt: tuple(found) for stmt, found in table.items()}

    @cached_property
    def calls_by_scope(self) -> dict[str, list[Call]]:
        """Calls by the scope they sit in directly, in file order."""
        table: dict[str, list[Call]] = {}
        for c in self.calls:
            table.setdefault(c.scope, []).append(c)
        return table

    @cached_property
    def calls_by_function(self) -> dict[str, list[Call]]:
        """Calls inside each function, its nested functions included, in file order."""
        table: dict[str, list[Call]] = {}
        for call in self.calls:
            scope = call.scope
            while scope:
                table.setdefault(scope, []).append(call)
                scope = scope.rpartition(".")[0]
        return table

    @cached_property
    def assigns_by_scope(self) -> dict[str, list[Assign]]:
        table: dict[str, list[Assign]] = {}
        for a in self.assigns:
            table.setdefault(a.scope, []).append(a)
        return table

    @cached_property
    def assigns_by_scope_and_target(self) -> dict[tuple[str, str], list[Assign]]:
        table: dict[tuple[str, str], list[Assign]] = {}
        for a in self.assigns:
            for t in a.targets:
                table.setdefault((a.scope, t), []).append(a)
        return table

    @cached_property
    def assigns_reaching(self) -> dict[str, list[Assign]]:
        """Assignments that outlive their statement by target, and by `~root` for the
        assignments to an item or attribute of `root` (`x[i] = ...`, `self.a.b = ...`)."""
        out: dict[str, list[Assign]] = {}
        for a in self.assigns:
            if a.op == "comp":
                continue  # comprehension variables do not outlive their comprehension
            for t in a.targets:
                out.setdefault(t, []).append(a)
                base = t[:-2] if t.endswith("[]") else t
                if base != t or "." in base:
                    root = (
                        ".".join(base.split(".", 2)[:2])
                        if base.startswith("self.")
                        else base.split(".", 1)[0]
                    )
                    if root != t:
                        out.setdefault("~" + root, []).append(a)
        return out

    @cached_property
    def weight_loads(self) -> tuple[Call, ...]:
        """`load_state_dict` / `load_weights` calls."""
        return tuple(c for c in self.calls if c.method in ("load_state_dict", "load_weights"))

    def reaching_assign(self, name: str, scope: str, before_stmt: int) -> Assign | None:
        """The last assignment to `name` in `scope` (falling back to module level) before a statement."""
        candidates = [a for a in self.assigns_by_target.get(name, ()) if a.op != "comp"]
        best: Assign | None = None
        for a in candidates:
            if a.scope == scope and a.stmt < before_stmt and (best is None or a.stmt >= best.stmt):
                best = a
        if best is None and scope:
            fn = self.function_by_qualname.get(scope)
            if fn is not None and name in fn.params:
                return None
            for a in candidates:
                if a.scope == "" and (best is None or a.stmt >= best.stmt):
                    best = a
        return best

    def assigns_to(self, name: str, scope: str | None = None) -> Iterator[Assign]:
        return (
            a for a in self.assigns_by_target.get(name, ()) if scope is None or a.scope == scope
        )
