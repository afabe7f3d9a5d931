"""Save and load events of model and preprocessor artifacts, with their resolved paths."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from preplint.analysis.calls import argument_for
from preplint.analysis.context import memos, on_behalf
from preplint.analysis.objects import binding_of
from preplint.analysis.records import ArtifactEvent
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts, Value
from preplint.facts.project import shared_folders

if TYPE_CHECKING:
    from preplint.facts.project import ProjectIndex


def _path_arg(call: Call, position: int, keyword: str) -> Value | None:
    arg = call.arg(position, keyword)
    if arg is None:
        return None
    value = arg.value
    return value


def _open_path(facts: FileFacts, value: Value | None) -> Value | None:
    """For `pickle.dump(obj, open(path, 'wb'))`, the path inside `open`."""
    if value is None:
        return None
    if value.kind == "call":
        inner = facts.call_by_id[value.call]
        if inner.callee in ("open", "io.open") or inner.method == "open":
            if inner.method == "open" and inner.receiver:
                return Value(kind="name", text=inner.receiver, names=(inner.receiver,))
            return _path_arg(inner, 0, "file")
    return value


@on_behalf
def artifact_events(facts: FileFacts, index: ProjectIndex) -> tuple[ArtifactEvent, ...]:
    memo = memos(facts, index)
    if memo.artifact_events is not None:
        return memo.artifact_events
    out: list[ArtifactEvent] = []
    with_files = {a.targets[0]: a for a in facts.assigns if a.op == "with" and len(a.targets) == 1}

    def resolve(value: Value | None, call: Call) -> str:
        if value is None:
            return ""
        # `with open(path, "wb") as f: pickle.dump(obj, f)`
        if value.kind == "name" and value.text in with_files:
            opened = with_files[value.text].value
            value = _open_path(facts, opened) or value
        else:
            value = _open_path(facts, value)
        return index.resolve_path(facts, value, call.scope, call.stmt) if value is not None else ""

    def kind_of(expr: str, call: Call) -> str:
        root = expr.split(".", 1)[0].split("(", 1)[0]
        b = binding_of(facts, root, call.scope, call.stmt, index)
        return b.kind if b is not None else ""

    def assigned_name(call: Call) -> str:
        for a in facts.assigns:
            if a.stmt == call.stmt and a.value.call == call.id and a.targets:
                return a.targets[0]
        return ""

    for call in facts.calls:
        qual = call.qualname
        event: tuple[str, str, str, Value | None] | None = None  # action, api, obj, path value
        if qual in fw.KERAS_LOAD_MODEL:
            event = ("load", "keras-load", assigned_name(call), _path_arg(call, 0, "filepath"))
        elif qual in fw.KERAS_SAVE_MODEL:
            obj = call.arg(0, "model")
            event = (
                "save",
                "keras-save",
                obj.value.text if obj else "",
                _path_arg(call, 1, "filepath"),
            )
        elif qual in fw.TORCH_SCRIPT_SAVE:
            obj = call.arg(0, "m")
            event = ("save", "jit-save", obj.value.text if obj else "", _path_arg(call, 1, "f"))
        elif qual in fw.TORCH_SCRIPT_LOAD:
            event = ("load", "jit-load", assigned_name(call), _path_arg(call, 0, "f"))
        elif qual == "torch.save":
            obj = call.arg(0, "obj")
            event = ("save", "torch-save", obj.value.text if obj else "", _path_arg(call, 1, "f"))
        elif qual == "torch.load":
            event = ("load", "torch-load", assigned_name(call), _path_arg(call, 0, "f"))
        elif qual in fw.PICKLE_DUMP:
            obj = call.arg(0, "value") or call.arg(0, "obj")
            event = (
                "save",
                "pickle-dump",
                obj.value.text if obj else "",
                _path_arg(call, 1, "filename") or _path_arg(call, 1, "file"),
            )
        elif qual in fw.PICKLE_LOAD:
            event = (
                "load",
                "pickle-load",
                assigned_name(call),
                _path_arg(call, 0, "filename") or _path_arg(call, 0, "file"),
            )
        elif qual in ("numpy.save", "numpy.savez", "numpy.savetxt", "numpy.savez_compressed"):
            obj = call.arg(1, "arr")
            event = (
                "save",
                "numpy-save",
                obj.value.text if obj else "",
                _path_arg(call, 0, "file"),
            )
        elif qual in ("numpy.load", "numpy.loadtxt"):
            event = ("load", "numpy-load", assigned_name(call), _path_arg(call, 0, "file"))
        elif call.method in ("save", "save_weights", "export", "save_pretrained") and call.receiver:
            kind = kind_of(call.receiver, call)
            if kind in ("keras-model", "hf-model") or (
                kind == "" and _looks_like_model_file(call, index, facts)
            ):
                api = "keras-save-weights" if call.method == "save_weights" else "keras-save"
                event = ("save", api, call.receiver, _path_arg(call, 0, "filepath"))
        elif call.method == "load_weights" and call.receiver:
            event = ("load", "load-weights", call.receiver, _path_arg(call, 0, "filepath"))
        elif qual in (KERAS_CHECKPOINT, *LIGHTNING_CHECKPOINTS) and _unused_callback(facts, call):
            continue  # built and never handed to anything: it writes nothing
        elif qual == KERAS_CHECKPOINT:
            api = (
                "keras-checkpoint-weights"
                if call.kwarg_const("save_weights_only") is True
                else "keras-checkpoint"
            )
            event = ("save", api, checkpointed_model(facts, call), _path_arg(call, 0, "filepath"))
        elif qual in LIGHTNING_CHECKPOINTS:
            obj_text = checkpointed_model(facts, call)
            out.append(
                ArtifactEvent(
                    action="save",
                    path=_lightning_path(facts, index, call),
                    api="lightning-checkpoint",
                    obj=obj_text,
                    obj_kind=kind_of(obj_text, call) if obj_text else "",
                    call=call.id,
                    file=facts.path,
                )
            )
            continue
        if event is None:
            continue
        action, api, obj_text, path_value = event
        path = resolve(path_value, call)
        if not path and action == "save" and path_value is not None:
            path = _callback_path(facts, index, call, path_value)
        out.append(
            ArtifactEvent(
                action=action,
                path=path,
                api=api,
                obj=obj_text,
                obj_kind=kind_of(obj_text, call) if obj_text else "",
                call=call.id,
                file=facts.path,
            )
        )
    result = tuple(out)
    memo.artifact_events = result
    return result


# Checkpoint callbacks write the model they are handed to while it trains: saves of their path.
KERAS_CHECKPOINT = "keras.callbacks.ModelCheckpoint"
LIGHTNING_CHECKPOINTS = frozenset(
    {
        "lightning.callbacks.ModelCheckpoint",
        "lightning.callbacks.model_checkpoint.ModelCheckpoint",
    }
)
CHECKPOINT_APIS = ("keras-checkpoint", "keras-checkpoint-weights", "lightning-checkpoint")


def checkpointed_model(facts: FileFacts, callback: Call) -> str:
    """The model a checkpoint callback writes: the receiver of the Keras `fit(callbacks=[...])`
    that gets it, or the module handed to `trainer.fit(model)` of the Lightning `Trainer` that
    gets it; "" when the callback never reaches a fit of this file."""
    holders = {callback.id}
    # `ckpt = ModelCheckpoint(...)`, or `callbacks = [TensorBoard(d), ModelCheckpoint(p)]`
    names = {
        a.targets[0]
        for a in facts.assigns
        if a.targets and a.op == "=" and callback.id in a.value.calls
    }
    # `callbacks = [ckpt, early]`: a list that holds it counts as the callback too.
    for a in facts.assigns:
        if a.targets and a.op == "=" and (names & set(a.value.names)):
            names.add(a.targets[0])
    for call in facts.calls:
        parent = callback.parent
        inline = False
        while parent >= 0:
            if parent == call.id:
                inline = True
                break
            parent = facts.call_by_id[parent].parent
        named = any(a.keyword == "callbacks" and names & set(a.value.names) for a in call.args)
        if not (inline or named) or call.id in holders:
            continue
        if call.method == "fit" and call.receiver:
            return call.receiver
        if call.callee.rsplit(".", 1)[-1] == "Trainer":
            trainer = next(
                (a.targets[0] for a in facts.assigns if a.value.call == call.id and a.targets), ""
            )
            for fit in facts.calls:
                if fit.method == "fit" and trainer and fit.receiver == trainer:
                    arg = fit.arg(0, "model")
                    return arg.value.text if arg is not None else ""
            return ""
    return ""


def _callback_path(facts: FileFacts, index: ProjectIndex, call: Call, value: Value) -> str:
    """`torch.save(..., self.path)` in a training callback (`class SaveBest(Callback)`) whose
    `__init__` keeps its `path` argument: the path the project constructs it with
    (`SaveBest("best.pt")`), when every construction seen passes the same one."""
    if value.kind != "attr" or not value.text.startswith("self.") or value.text.count(".") != 1:
        return ""
    cls_name = call.scope.split(".", 1)[0]
    cls = facts.class_by_name.get(cls_name)
    if cls is None or not any(b.rsplit(".", 1)[-1].endswith("Callback") for b in cls.bases):
        return ""
    init = facts.function_by_qualname.get(f"{cls_name}.__init__")
    if init is None:
        return ""
    kept = [
        a
        for a in facts.assigns
        if a.scope == init.qualname and a.targets == (value.text,) and a.op == "="
    ]
    if len(kept) != 1 or kept[0].value.kind != "name" or kept[0].value.text not in init.params:
        return ""
    param = kept[0].value.text
    found: set[str] = set()
    for f in index.files_calling(cls_name):
        for c in f.calls:
            if c.callee.rsplit(".", 1)[-1] != cls_name:
                continue
            target = index.class_for(f, c.callee)
            if target is None or target[1] is not cls:
                continue
            passed = argument_for(c, init, param)
            if passed is None:
                return ""
            found.add(index.resolve_path(f, passed, c.scope, c.stmt))
    return found.pop() if len(found) == 1 and "" not in found else ""


def _unused_callback(facts: FileFacts, callback: Call) -> bool:
    """`ckpt = ModelCheckpoint(...)` whose name is never read again (not passed to a fit, not
    put in a list, not returned): the callback never runs."""
    if callback.parent >= 0:
        return False
    names = {
        a.targets[0]
        for a in facts.assigns
        if a.targets and a.op == "=" and a.value.call == callback.id
    }
    if not names:
        return False
    read = any(names & set(a.value.names) for a in facts.assigns) or any(
        names & set(arg.value.names) for c in facts.calls for arg in c.args
    )
    returned = any(names & set(v.names) for fn in facts.functions for v in fn.returns)
    return not (read or returned)


def _lightning_path(facts: FileFacts, index: ProjectIndex, call: Call) -> str:
    """`ModelCheckpoint(dirpath=d, filename="{epoch}-best")` writes `d/*-best.ckpt`."""
    folder_arg = _path_arg(call, 0, "dirpath")
    folder = (
        index.resolve_path(facts, folder_arg, call.scope, call.stmt)
        if folder_arg is not None
        else ""
    )
    name_arg = _path_arg(call, 1, "filename")
    name = "*"
    if name_arg is not None:
        const = name_arg.const
        name = re.sub(r"\{[^}]*\}", "*", const) if isinstance(const, str) and const else "*"
    name = name if name.endswith(".ckpt") else name + ".ckpt"
    if not folder:
        return "" if name == "*.ckpt" else f"*/{name}"
    return f"{folder.rstrip('/')}/{name}"


_MODEL_SUFFIXES = ("keras", "h5", "hdf5", "tf", "savedmodel")


def _looks_like_model_file(call: Call, index: ProjectIndex, facts: FileFacts) -> bool:
    """`model.save(path)` on an unknown object counts when the path names a Keras model file."""
    from preplint.facts.paths import suffix

    value = _path_arg(call, 0, "filepath")
    if value is None:
        return False
    path = index.resolve_path(facts, value, call.scope, call.stmt)
    return suffix(path) in _MODEL_SUFFIXES


# --- across the project ------------------------------------------------------------------------


def project_events(index: ProjectIndex, selection: str = "all") -> tuple[ArtifactEvent, ...]:
    """The saves and loads of every file of the run, in file order: all of them, or a named
    selection ("keras-full-saves", "keras-saves"). Read on behalf of the file being analysed."""
    from preplint.analysis.project_wide import answer

    found: tuple[ArtifactEvent, ...] = answer(index, ("events", selection))
    return found


def partners(index: ProjectIndex, event: ArtifactEvent, action: str) -> list[ArtifactEvent]:
    """Events of `action` ('save'/'load') on the same artifact path, nearest folders first kept.

    Two projects linted together often reuse a file name (`model.keras`); the partner in the
    folder closest to the event's own file is the one that writes or reads that artifact.
    """
    if not event.path:
        return []
    from preplint.analysis.project_wide import answer

    found: list[ArtifactEvent] = answer(index, ("partners", action, event))
    return found


def savers(index: ProjectIndex, path: str, near: str = "") -> list[ArtifactEvent]:
    if not path:
        return []
    from preplint.analysis.project_wide import answer

    found: list[ArtifactEvent] = answer(index, ("savers", path, near))
    return found


def loaders(index: ProjectIndex, path: str, near: str = "") -> list[ArtifactEvent]:
    if not path:
        return []
    from preplint.analysis.project_wide import answer

    found: list[ArtifactEvent] = answer(index, ("loaders", path, near))
    return found


def nearest(events: list[ArtifactEvent], near: str) -> list[ArtifactEvent]:
    """The events whose files share the most leading folders with `near`."""
    if len(events) < 2 or not near:
        return events
    best = max(shared_folders(e.file, near) for e in events)
    return [e for e in events if shared_folders(e.file, near) == best]
