"""Project-wide answers: built from each file's contribution, read on behalf of one file.

Every save and load of the run, every call site of each project function, the classes built
inside and outside Keras subclasses. Each file contributes its share (`contribution`), which
depends only on its own facts and the names it looks up; the whole is assembled in file order.
A file reads a project-wide answer through `answer(index, key)`: the answer is recorded under
that file with a digest, so its cached findings are reused only while the answer is the same.
"""

from __future__ import annotations

from sys import intern
from typing import TYPE_CHECKING, Any

from preplint.analysis.artifacts import artifact_events, nearest
from preplint.analysis.calls import resolve_function
from preplint.analysis.context import ProjectContext, project_context
from preplint.analysis.custom import instantiations_in, resolve_class
from preplint.analysis.records import ArtifactEvent, Contribution
from preplint.facts.paths import paths_match

if TYPE_CHECKING:
    from preplint.facts.model import FileFacts
    from preplint.facts.project import ProjectIndex


def contribution(facts: FileFacts, index: ProjectIndex) -> Contribution:
    """`facts`' share of the project-wide answers."""
    index.push(facts.path)
    try:
        events = artifact_events(facts, index)
        sites: list[tuple[str, str, int]] = []
        for c in facts.calls:
            if not c.callee:
                continue
            target = resolve_function(facts, c, index)
            if target is not None:
                sites.append((intern(target[0].path), intern(target[1].qualname), c.id))
        inside, outside = instantiations_in(facts, index)
        built: list[tuple[str, str, str, int]] = []
        for c in facts.calls:
            leaf = c.callee.rsplit(".", 1)[-1]
            if leaf[:1].isupper():
                found = resolve_class(facts, c.callee, index)
                if found is not None:
                    built.append((intern(found[0].path), intern(found[1].name), intern(leaf), c.id))
    finally:
        index.pop()
    return Contribution(events, tuple(sites), inside, outside, tuple(built))


def assembled(index: ProjectIndex) -> ProjectContext:
    """The run's context with every project-wide answer built (contributions computed for the
    files that have none yet)."""
    project = project_context(index)
    if project.events is not None:
        return project
    for path in index.paths:
        if path not in project.contributions:
            facts = index.loaded(path)
            if facts is not None:
                project.contributions[path] = contribution(facts, index)
            if not index.asking:
                index.settle()  # no analysis holds facts now: a long run may let them go
    events: list[ArtifactEvent] = []
    table: dict[tuple[str, str], list[tuple[str, int]]] = {}
    inside: set[str] = set()
    outside: set[str] = set()
    built: dict[str, list[tuple[str, str, str, int]]] = {}
    for path in index.paths:
        c = project.contributions.get(path)
        if c is None:
            continue
        events.extend(c.events or ())
        for defined_in, qualname, call in c.sites:
            table.setdefault((defined_in, qualname), []).append((path, call))
        inside |= c.inside
        outside |= c.outside
        for owner, name, leaf, call in c.constructions:
            built.setdefault(owner, []).append((name, path, leaf, call))
    project.constructions = built
    project.events = tuple(events)
    project.call_sites = table
    project.instantiations = (frozenset(inside), frozenset(outside))
    return project


# --- the questions a file may ask of the whole project ------------------------------------------


def _keras_full_save(e: ArtifactEvent) -> bool:
    from preplint.analysis.saving import KERAS_FULL_SAVES

    return e.api in KERAS_FULL_SAVES and e.obj_kind != "hf-model"


_EVENT_SELECTIONS = {
    "all": lambda e: True,
    "keras-full-saves": _keras_full_save,
    "keras-saves": lambda e: e.action == "save" and e.api.startswith("keras-save"),
}


def evaluate(project: ProjectContext, key: tuple[Any, ...]) -> Any:
    """The answer to `key` in this run (the same code answers a rule and checks a cache)."""
    kind = key[0]
    assert project.events is not None and project.call_sites is not None
    if kind == "events":
        keep = _EVENT_SELECTIONS[key[1]]
        return tuple(e for e in project.events if keep(e))
    if kind == "partners":
        _, action, event = key
        found = [
            e
            for e in project.events
            if e.action == action and e != event and paths_match(e.path, event.path)
        ]
        return nearest(found, event.file)
    if kind in ("savers", "loaders"):
        _, path, near = key
        action = "save" if kind == "savers" else "load"
        found = [e for e in project.events if e.action == action and paths_match(e.path, path)]
        return nearest(found, near) if near else found
    if kind == "sites":
        return tuple(project.call_sites.get((key[1], key[2]), ()))
    if kind == "constructions":
        assert project.constructions is not None
        return tuple(project.constructions.get(key[1], ()))
    if kind == "instantiations":
        assert project.instantiations is not None
        return project.instantiations
    raise KeyError(kind)


def answer(index: ProjectIndex, key: tuple[Any, ...]) -> Any:
    """`evaluate`, recorded under the file being analysed."""
    project = assembled(index)
    value = evaluate(project, key)
    project.read(key, value)
    return value


def known_key(key: object) -> bool:
    """Whether a recorded key is one this version can answer (a cache may hold others)."""
    if not isinstance(key, tuple) or not key:
        return False
    kind = key[0]
    if kind == "events":
        return len(key) == 2 and isinstance(key[1], str) and key[1] in _EVENT_SELECTIONS
    if kind == "partners":
        return (
            len(key) == 3
            and isinstance(key[1], str)
            and isinstance(key[2], ArtifactEvent)
            and bool(key[2].path)
        )
    if kind in ("savers", "loaders"):
        return len(key) == 3 and isinstance(key[1], str) and isinstance(key[2], str)
    if kind == "sites":
        return len(key) == 3 and isinstance(key[1], str) and isinstance(key[2], str)
    if kind == "constructions":
        return len(key) == 2 and isinstance(key[1], str)
    return kind == "instantiations" and len(key) == 1


def constructions(index: ProjectIndex, owner: str) -> tuple[tuple[str, str, str, int], ...]:
    """Every call in the run that builds a class defined in file `owner`:
    (class name, calling file, callee's last part, call id), in file order."""
    found: tuple[tuple[str, str, str, int], ...] = answer(index, ("constructions", owner))
    return found
