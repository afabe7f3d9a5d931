"""The one pass: a libcst module becomes FileFacts (imports, calls, assignments, definitions).

The walk is layered, each module importing only those below it:
`statements` (scopes, definitions, loops) → `expressions` (calls, assignment targets) →
`values` (expression summaries) → `literals` (constants, paths) → `imports` → `nodes`.
This module runs the walk and turns its records into `FileFacts`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import libcst as cst

from preplint.diagnostics import Span
from preplint.facts.model import Assign, Call, ClassDef, FileFacts, Function, Loop
from preplint.facts.nodes import dotted_name
from preplint.facts.positions import spans_for
from preplint.facts.statements import StatementWalker

__all__ = ["dotted_name", "extract", "extract_parts", "module_name_for"]

_NO_SPAN = Span(0, 0, 0, 0)


def extract(
    module: cst.Module, path: str, module_name: str, source: str | None = None
) -> FileFacts:
    """FileFacts of a parsed module; `source` (the text it was parsed from) makes it faster."""
    walker = StatementWalker(module, module_name)
    walker.run()
    parents = _parents(walker.calls)
    spans = spans_for(module, walker.wanted)
    if walker.values.pending_texts:
        walker.values.fill_texts(source if source is not None else module.code, spans)
    return _file_facts(walker, path, spans, parents)


def extract_parts(
    parts: Iterable[tuple[int, cst.Module]], path: str, module_name: str, source: str
) -> FileFacts:
    """FileFacts of a file parsed in parts: (first line, module) of each, in order, as one walk;
    the same facts as `extract` of the whole. Each part's tree can go once the next is asked
    for: nothing of it is kept (its spans are computed, its node ids forgotten)."""
    walker: StatementWalker | None = None
    spans: dict[int, Span] = {}
    for first_line, module in parts:
        if walker is None:
            walker = StatementWalker(module, module_name)
        walker.module = module
        walker.run()
        spans.update(spans_for(module, walker.wanted, first_line))
        # Node ids are keys below: the next part's nodes may reuse them.
        walker.wanted.nodes.clear()
        walker.call_ids.clear()
        walker.module = _EMPTY
        del module
    if walker is None:
        return extract(cst.parse_module(source), path, module_name, source)
    parents = _parents(walker.calls)
    walker.values.fill_texts(source, spans)
    return _file_facts(walker, path, spans, parents)


_EMPTY = cst.Module(body=())


def module_name_for(path: str) -> str:
    """A dotted module name from a relative path: 'src/pkg/train.py' → 'src.pkg.train'."""
    stem = path[:-3] if path.endswith(".py") else path.rsplit(".", 1)[0]
    parts = [p for p in stem.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _parents(calls: list[dict[str, Any]]) -> dict[int, int]:
    """Call id -> the id of the call it is an argument or receiver of (the first such)."""
    parents: dict[int, int] = {}
    for c in calls:
        for arg in c["args"]:
            for child in arg.value.calls:
                parents.setdefault(child, c["id"])
        if c["receiver_call"] >= 0:
            parents.setdefault(c["receiver_call"], c["id"])
    return parents


def _file_facts(
    walker: StatementWalker, path: str, spans: dict[int, Span], parents: dict[int, int]
) -> FileFacts:
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
            parent=parents.get(c["id"], -1),
            in_condition=c["in_condition"],
        )
        for c in walker.calls
    )
    imports = walker.imports
    return FileFacts(
        path=path,
        module=imports.module_name,
        imports=dict(imports.names),
        relative_imports=tuple(sorted(imports.relative)),
        main_guard=walker.main_guard,
        tf_keras=imports.tf_keras,
        constants=dict(walker.literals.constants),
        calls=calls,
        assigns=tuple(Assign(**{**a, "span": span(a["span"])}) for a in walker.assigns),
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
            for f in walker.functions
        ),
        classes=tuple(ClassDef(**{**c, "span": span(c["span"])}) for c in walker.classes),
        loops=tuple(Loop(**{**lp, "span": span(lp["span"])}) for lp in walker.loops),
        statements=walker.stmt,
        last_import_line=span(walker.last_import).end_line if walker.last_import else 0,
    )
