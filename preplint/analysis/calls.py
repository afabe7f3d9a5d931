"""Which project function a call runs, and every call site of a project function."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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


def call_sites(facts: FileFacts, fn: Function, index: ProjectIndex | None) -> Sites:
    """Every call of project function `fn` (defined in `facts`), in any file of the project.

    The calling files' facts are read as the sites are iterated: a caller that stops at the
    first site that settles its question reads only the files up to it (a logging helper can
    have a call in every file of a project)."""
    if index is None:
        return Sites(None, _sites((facts,), None).get((facts.path, fn.qualname), []))
    from preplint.analysis.project_wide import answer

    return Sites(index, answer(index, ("sites", facts.path, fn.qualname)))


class Sites:
    """Call sites, as (calling file's facts, call); files are read on first iteration past them."""

    def __init__(
        self,
        index: ProjectIndex | None,
        pending: Sequence[tuple[str, int]] | Sequence[tuple[FileFacts, Call]],
    ) -> None:
        self._index = index
        self._pending = pending
        self._read: list[tuple[FileFacts, Call]] = []
        self._next = 0

    def _more(self) -> bool:
        """Read the next site; False when none is left."""
        while self._next < len(self._pending):
            where, call = self._pending[self._next]
            self._next += 1
            if self._index is None:
                assert not isinstance(where, str) and not isinstance(call, int)
                self._read.append((where, call))
                return True
            assert isinstance(where, str) and isinstance(call, int)
            owner = self._index.file(where)
            if owner is not None:
                self._read.append((owner, owner.call_by_id[call]))
                return True
        return False

    def __iter__(self) -> Iterator[tuple[FileFacts, Call]]:
        i = 0
        while i < len(self._read) or self._more():
            yield self._read[i]
            i += 1

    def __bool__(self) -> bool:
        return bool(self._read) or self._more()


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
