"""Which project function a call runs, and every call site of a project function."""

from __future__ import annotations

from typing import TYPE_CHECKING

from preplint.analysis.scopes import enclosing_class
from preplint.facts.model import Call, FileFacts, Function, Value

if TYPE_CHECKING:
    from preplint.facts.project import ProjectIndex


def resolve_function(
    facts: FileFacts, call: Call, index: ProjectIndex | None
) -> tuple[FileFacts, Function] | None:
    """The project function a call runs: `helper(...)`, `utils.helper(...)`, `self.method(...)`."""
    callee = call.callee
    if not callee:
        return None
    if callee.startswith("self.") and callee.count(".") == 1:
        cls = enclosing_class(facts, call.scope)
        fn = facts.function_by_qualname.get(f"{cls}.{callee[5:]}") if cls else None
        return (facts, fn) if fn is not None else None
    fn = facts.function_by_qualname.get(callee)
    if fn is not None and not fn.cls:
        return facts, fn
    if callee in facts.class_by_name and not call.method:
        # `Predictor(model)` runs `Predictor.__init__`
        init = facts.function_by_qualname.get(f"{callee}.__init__")
        return (facts, init) if init is not None else None
    if index is not None and (call.qualname or "." in callee):
        found = index.function_for(facts, callee)
        if found is not None and not found[1].cls:
            return found
    return None


def call_sites(
    facts: FileFacts, fn: Function, index: ProjectIndex | None
) -> list[tuple[FileFacts, Call]]:
    """Every call of project function `fn` (defined in `facts`), in any file of the project."""
    if index is None:
        return _sites((facts,), None).get((facts.path, fn.qualname), [])
    from preplint.analysis.project_wide import answer

    out: list[tuple[FileFacts, Call]] = []
    for path, call in answer(index, ("sites", facts.path, fn.qualname)):
        owner = index.file(path)
        if owner is not None:
            out.append((owner, owner.call_by_id[call]))
    return out


def _sites(
    files: tuple[FileFacts, ...], index: ProjectIndex | None
) -> dict[tuple[str, str], list[tuple[FileFacts, Call]]]:
    table: dict[tuple[str, str], list[tuple[FileFacts, Call]]] = {}
    defined = _defined_names(files)
    for f in files:
        for c in f.calls:
            if not c.callee or c.callee.rsplit(".", 1)[-1] not in defined:
                continue
            target = resolve_function(f, c, index)
            if target is not None:
                table.setdefault((target[0].path, target[1].qualname), []).append((f, c))
    return table


def _defined_names(files: tuple[FileFacts, ...]) -> frozenset[str]:
    return frozenset(fn.name for f in files for fn in f.functions) | frozenset(
        c.name for f in files for c in f.classes
    )


def argument_for(call: Call, fn: Function, param: str) -> Value | None:
    """The expression a call passes for parameter `param` of `fn`."""
    if param not in fn.params:
        return None
    position = fn.params.index(param)
    if fn.cls and fn.params and fn.params[0] in ("self", "cls"):
        position -= 1
    found = call.arg(position if position >= 0 else None, param)
    return found.value if found is not None else None
