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
from preplint.facts.model import ClassDef, FileFacts, Function, Value
from preplint.facts.project import ProjectIndex

H5 = ("h5", "hdf5")


# A whole-model save, and a `ModelCheckpoint` that writes the whole model while it trains.
KERAS_FULL_SAVES = ("keras-save", "keras-checkpoint")
_SEQUENTIAL = frozenset({"keras.Sequential", "keras.models.Sequential"})


def _artifact(path: str) -> str | None:
    """The artifact path when it is fully known (confirmation can open it)."""
    return path if path and "*" not in path else None


def keras_saves(index: ProjectIndex) -> list[ArtifactEvent]:
    return list(project_events(index, "keras-full-saves"))


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


# What a `torch.save` writes, as far as `weights_only=True` can read it back.
_PLAIN_KINDS = ("const", "binop", "unary", "compare", "fstring")
_PLAIN_CALLS = frozenset(
    {"state_dict", "item", "len", "float", "int", "str", "round", "tolist", "cpu", "detach"}
)
_ALLOWED_CLASSES = frozenset({"OrderedDict", "Tensor", "Size", "dict", "list", "tuple"})
_OBJECT_KINDS = frozenset({"torch-module", "optimizer", "sklearn-model", "dataloader", "pipeline"})


def torch_saved_content(index: ProjectIndex, event: ArtifactEvent) -> str:
    """'tensors' when a `torch.save` writes only `state_dict()`s and plain values (numbers,
    strings, their lists and dicts), 'objects' when it writes a module, an optimizer or another
    object `weights_only=True` refuses, '' when that cannot be told."""
    owner = index.file(event.file)
    if owner is None or event.api != "torch-save":
        return ""
    call = owner.call_by_id[event.call]
    arg = call.arg(0, "obj")
    if arg is None:
        return ""
    return _content_of(owner, index, arg.value, call.scope, call.stmt, 0)


def _content_of(
    facts: FileFacts, index: ProjectIndex, value: Value, scope: str, stmt: int, depth: int
) -> str:
    from preplint.analysis.objects import binding_of

    if depth > 3:
        return ""
    if value.kind in _PLAIN_KINDS:
        return "tensors"
    if value.kind == "call":
        made = facts.call_by_id.get(value.call)
        if made is None:
            return ""
        if (made.method or made.callee) in _PLAIN_CALLS:
            return "tensors"
        leaf = made.callee.rsplit(".", 1)[-1]
        if leaf[:1].isupper() and leaf not in _ALLOWED_CLASSES:
            return "objects"  # `Net(...)`: an instance weights_only=True refuses to rebuild
        if made.qualname.startswith("torch.") and leaf[:1].islower():
            return "tensors"  # torch.zeros(...), torch.tensor(...)
        return ""
    if value.kind in ("name", "attr"):
        root = value.text.split(".", 1)[0]
        b = binding_of(facts, root, scope, stmt, index)
        if b is not None and b.kind in _OBJECT_KINDS and value.kind == "name":
            return "objects"
        if value.kind == "attr":
            return ""
        assign = facts.reaching_assign(value.text, scope, stmt)
        if assign is None:
            return ""
        if assign.op == "for":
            return "tensors" if assign.value.kind == "call" and "range" in assign.value.text else ""
        if assign.op != "=":
            return ""
        return _content_of(facts, index, assign.value, assign.scope, assign.stmt, depth + 1)
    if value.kind in ("dict", "list", "tuple"):
        # Every part a bare name (not `model.state_dict()`) must be plain; a module is an object.
        parts = list(value.items)
        verdicts = [_content_of(facts, index, p, scope, stmt, depth + 1) for p in parts]
        if "objects" in verdicts:
            return "objects"
        if not parts:
            return _names_in_literal(facts, index, value, scope, stmt, depth)
        return "tensors" if all(v == "tensors" for v in verdicts) else ""
    return ""


def _names_in_literal(
    facts: FileFacts, index: ProjectIndex, value: Value, scope: str, stmt: int, depth: int
) -> str:
    """A dict literal seen only as text and names: `{"net": model.state_dict(), "epoch": e}`."""
    import re

    verdicts: list[str] = []
    for name in value.names:
        bare = re.search(rf"(?<![\w.]){re.escape(name)}\b(?!\s*[.(\[])", value.text)
        if bare is None:
            continue  # only `name.state_dict()`-style accesses
        verdicts.append(
            _content_of(
                facts,
                index,
                Value(kind="name", text=name, names=(name,)),
                scope,
                stmt,
                depth + 1,
            )
        )
    for call_id in value.calls:
        inner = facts.call_by_id.get(call_id)
        if (
            inner is not None
            and inner.parent == -1
            and (inner.method or inner.callee) not in (_PLAIN_CALLS)
        ):
            verdicts.append("")
    if "objects" in verdicts:
        return "objects"
    return "tensors" if all(v == "tensors" for v in verdicts) else ""
