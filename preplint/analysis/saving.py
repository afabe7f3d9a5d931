"""How models are saved: full Keras saves, the objects saved, where a function sits."""

from __future__ import annotations

from preplint.analysis.artifacts import project_events
from preplint.analysis.custom import (
    custom_objects_in_statements,
    custom_objects_used,
    is_registered,
    keras_class_kind,
    resolve_class,
)
from preplint.analysis.records import ArtifactEvent, CustomObject
from preplint.diagnostics import Related
from preplint.facts.model import ClassDef, FileFacts, Function
from preplint.facts.project import ProjectIndex

H5 = ("h5", "hdf5")


# A whole-model save, and a `ModelCheckpoint` that writes the whole model while it trains.
KERAS_FULL_SAVES = ("keras-save", "keras-checkpoint")
_SEQUENTIAL = frozenset({"keras.Sequential", "keras.models.Sequential"})


def _artifact(path: str) -> str | None:
    """The artifact path when it is fully known (confirmation can open it)."""
    return path if path and "*" not in path else None


def keras_saves(index: ProjectIndex) -> list[ArtifactEvent]:
    return [
        e for e in project_events(index) if e.api in KERAS_FULL_SAVES and e.obj_kind != "hf-model"
    ]


def saved_model_objects(
    owner: FileFacts, index: ProjectIndex, saver: ArtifactEvent
) -> tuple[CustomObject, ...]:
    """Custom objects of the model a save writes: those of the saving function when it builds the
    model itself, else those of the whole file (the model comes from elsewhere in it)."""
    call = owner.call_by_id[saver.call]
    root = saver.obj.split(".", 1)[0] if saver.obj and "(" not in saver.obj else ""
    exact = model_objects(owner, index, saver)
    if exact is not None:
        return exact
    builds_here = bool(root) and any(
        a.scope == call.scope and root in a.targets and a.op == "=" and a.stmt <= call.stmt
        for a in owner.assigns
    )
    if builds_here:
        # A class the saving function defines only after the save is not in the saved model.
        later = {
            c.name
            for c in owner.classes
            if c.stmt_start > call.stmt
            and function_around(owner, c) is owner.function_by_qualname.get(call.scope)
        }
        return tuple(
            o
            for o in custom_objects_used(owner, index, call.scope)
            if not (o.file == owner.path and o.name in later)
        )
    if saver.obj.startswith("self.") and "(" not in saver.obj:
        # `self.model` built in `setUp`/`__init__`: the scopes that assign it, not the whole file.
        scopes = {a.scope for a in owner.assigns_by_target.get(saver.obj, ()) if a.op == "="}
        if scopes:
            return tuple(o for s in sorted(scopes) for o in custom_objects_used(owner, index, s))
    return custom_objects_used(owner, index)


def model_objects(
    owner: FileFacts, index: ProjectIndex, saver: ArtifactEvent
) -> tuple[CustomObject, ...] | None:
    """The custom objects of exactly the model a save writes, when its building is seen: the
    last `name = Sequential([...])` (or `name = ProjectModel(...)`) before the save in the same
    scope, its `name.add(...)` and `name.compile(...)`. None when the model is built another way
    (functional graph, a parameter, an attribute): the caller falls back to a wider look."""
    if not saver.obj or not saver.obj.isidentifier():
        return None
    call = owner.call_by_id[saver.call]
    built = [
        a
        for a in owner.assigns
        if a.scope == call.scope
        and a.op == "="
        and a.targets == (saver.obj,)
        and a.stmt < call.stmt
        and a.value.kind == "call"
    ]
    if not built:
        return None
    last = max(built, key=lambda a: a.stmt)
    maker = owner.call_by_id.get(last.value.call)
    if maker is None:
        return None
    found: tuple[CustomObject, ...] = ()
    if maker.qualname in _SEQUENTIAL:
        stmts = {last.stmt}
    else:
        cls = resolve_class(owner, maker.callee, index)
        if cls is None or keras_class_kind(owner, maker.callee, index) != "model":
            return None
        # A project model class: its own parts are rebuilt by its code at load time.
        found = (
            CustomObject(
                cls[1].name,
                "model",
                cls[0].path,
                cls[1].span,
                is_registered(cls[1].decorators),
            ),
        )
        stmts = set()
    for c in owner.calls:
        if (
            c.scope == call.scope
            and last.stmt < c.stmt <= call.stmt
            and c.receiver == saver.obj
            and c.method in ("add", "compile")
        ):
            stmts.add(c.stmt)
    return found + custom_objects_in_statements(owner, index, call.scope, frozenset(stmts))


def function_around(facts: FileFacts, cls: ClassDef) -> Function | None:
    """The innermost function whose body defines the class, or None at module (or class) level."""
    best: Function | None = None
    for fn in facts.functions:
        if fn.stmt_start < cls.stmt_start <= fn.stmt_end and (
            best is None or fn.stmt_start > best.stmt_start
        ):
            best = fn
    return best


def _related(index: ProjectIndex, event: ArtifactEvent, message: str) -> Related | None:
    f = index.file(event.file)
    if f is None:
        return None
    span = f.call_by_id[event.call].span
    return Related(event.file, span.line, span.column, message)
