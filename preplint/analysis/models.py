"""Models: where one came from (built or loaded) and what is fed to it to train or to infer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from preplint.analysis.arrays import _attribute_assign, _returned_values
from preplint.analysis.artifacts import artifact_events, partners
from preplint.analysis.calls import argument_for, call_sites
from preplint.analysis.context import memos, on_behalf
from preplint.analysis.objects import binding_of, bindings, classify_call
from preplint.analysis.records import ArtifactEvent, Binding, ModelFeed
from preplint.analysis.scopes import enclosing_class, inference_named_scope, no_grad_at
from preplint.analysis.training import in_training_loop
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts, Value

if TYPE_CHECKING:
    from preplint.facts.project import ProjectIndex


TRAIN_METHODS = frozenset({"fit", "fit_generator", "train_on_batch", "partial_fit"})


PREDICT_METHODS = frozenset(
    {
        "predict",
        "predict_proba",
        "predict_log_proba",
        "predict_on_batch",
        "decision_function",
        "evaluate",
        "test_on_batch",
    }
)


@dataclass(frozen=True)
class ModelOrigin:
    """Where the object behind a model expression was built or loaded."""

    file: str  # FileFacts.path of the file that binds it
    name: str  # the name it is bound to there ("model", "self.model")
    scope: str
    stmt: int
    kind: str  # binding kind (fw.MODEL_KINDS), '' when only a load is known
    artifact: str  # resolved artifact path it was loaded from, '' when built here or unknown
    load_call: (
        int  # id of the load (load_model, torch.load, load_state_dict, load_weights) call, -1
    )


def _class_binding(
    facts: FileFacts, name: str, scope: str, index: ProjectIndex | None
) -> Binding | None:
    fn = facts.function_by_qualname.get(scope)
    if fn is None or not fn.cls or not name.startswith("self."):
        return None
    found = [
        b for b in bindings(facts, index) if b.name == name and b.scope.startswith(fn.cls + ".")
    ]
    return found[-1] if found else None


def _load_event_for(facts: FileFacts, call_id: int, index: ProjectIndex) -> ArtifactEvent | None:
    """The load event of `call_id` or of a call it is chained on (`torch.load(p).eval()`, `load_model(p).to(d)`)."""
    events = {e.call: e for e in artifact_events(facts, index) if e.action == "load"}
    seen = 0
    while call_id >= 0 and seen < 6:
        if call_id in events:
            return events[call_id]
        call = facts.call_by_id.get(call_id)
        if call is None:
            return None
        inner = [c for c in (call.receiver_call,) if c >= 0]
        if not inner:
            # `model.load_state_dict(torch.load(p))`: the load is an argument
            for arg in call.args:
                for cid in arg.value.calls:
                    if cid in events:
                        return events[cid]
            return None
        call_id = inner[0]
        seen += 1
    return None


def _event_path(facts: FileFacts, event: ArtifactEvent, index: ProjectIndex) -> str:
    """An event's path, resolving a path parameter of a helper (`def load(path): return load_model(path)`) at its one call site."""
    if event.path:
        return event.path
    call = facts.call_by_id.get(event.call)
    if call is None or not call.args:
        return ""
    value = call.args[0].value
    fn = facts.function_by_qualname.get(call.scope)
    if fn is None or value.kind != "name" or value.text not in fn.params:
        return ""
    paths = set()
    for owner, site in call_sites(facts, fn, index):
        arg = argument_for(site, fn, value.text)
        paths.add(index.resolve_path(owner, arg, site.scope, site.stmt) if arg is not None else "")
        if "" in paths or len(paths) > 1:
            return ""  # the answer whatever the other sites pass
    return paths.pop() if len(paths) == 1 else ""


def _weights_loaded_into(
    facts: FileFacts, name: str, scope: str, after: int, before: int, index: ProjectIndex
) -> tuple[str, int]:
    """(artifact path, call id) of `name.load_state_dict(...)` / `name.load_weights(...)` between two statements."""
    fn = facts.function_by_qualname.get(scope)
    cls_prefix = fn.cls + "." if fn is not None and fn.cls and name.startswith("self.") else None
    for call in facts.weight_loads:
        if call.receiver != name:
            continue
        same_scope = call.scope == scope or (
            cls_prefix is not None and call.scope.startswith(cls_prefix)
        )
        if not same_scope or (call.scope == scope and not (after <= call.stmt <= before)):
            continue
        event = _load_event_for(facts, call.id, index)
        if event is None and call.method == "load_state_dict" and call.args:
            arg = call.args[0].value
            if arg.kind == "name":
                assign = facts.reaching_assign(arg.text, call.scope, call.stmt)
                if assign is not None and assign.value.kind == "call":
                    event = _load_event_for(facts, assign.value.call, index)
        if event is not None:
            return _event_path(facts, event, index), call.id
        return "", call.id
    return "", -1


def model_origin(
    facts: FileFacts, expr: str, scope: str, stmt: int, index: ProjectIndex, depth: int = 0
) -> ModelOrigin | None:
    """Where the model named `expr` at a statement was built or loaded: this file, a helper, a parameter's callers."""
    if depth > 5 or not expr:
        return None
    binding = binding_of(facts, expr, scope, stmt, index) or _class_binding(
        facts, expr, scope, index
    )
    if binding is not None:
        artifact, load_call = "", -1
        if binding.origin == "loaded":
            event = _load_event_for(facts, binding.call, index)
            if event is not None:
                artifact, load_call = _event_path(facts, event, index), event.call
        else:
            artifact, load_call = _weights_loaded_into(
                facts,
                expr,
                binding.scope,
                binding.stmt,
                stmt if binding.scope == scope else 10**9,
                index,
            )
        return ModelOrigin(
            facts.path, expr, binding.scope, binding.stmt, binding.kind, artifact, load_call
        )
    fn = facts.function_by_qualname.get(scope)
    if fn is not None and expr in fn.params:
        origins: set[ModelOrigin | None] = set()
        for owner, site in call_sites(facts, fn, index):
            arg = argument_for(site, fn, expr)
            origins.add(
                _origin_of_value(owner, arg, expr, site.scope, site.stmt, index, depth + 1)
                if arg is not None
                else None
            )
            if None in origins or len(origins) > 1:
                return None  # the answer whatever the other sites pass
        return origins.pop() if len(origins) == 1 else None
    assign = facts.reaching_assign(expr, scope, stmt)
    if assign is None and expr.startswith("self."):
        assign = _attribute_assign(facts, expr, scope)
    if assign is None or assign.op != "=" or len(assign.targets) != 1:
        return None
    return _origin_of_value(facts, assign.value, expr, assign.scope, assign.stmt, index, depth + 1)


def _origin_of_value(
    facts: FileFacts,
    value: Value,
    expr: str,
    scope: str,
    stmt: int,
    index: ProjectIndex,
    depth: int,
) -> ModelOrigin | None:
    """The origin of the model an expression evaluates to: a name, a load, a constructor, a helper's return."""
    if depth > 6:
        return None
    if value.kind in ("name", "attr"):
        return model_origin(facts, value.text, scope, stmt, index, depth + 1)
    call = facts.call_by_id.get(value.call) if value.kind == "call" else None
    if call is None:
        return None
    event = _load_event_for(facts, call.id, index)
    if event is not None:
        return ModelOrigin(
            facts.path, expr, scope, stmt, "", _event_path(facts, event, index), event.call
        )
    if call.method in fw.MODEL_SELF_METHODS:
        if call.receiver_call >= 0:
            inner = facts.call_by_id[call.receiver_call]
            return _origin_of_value(
                facts,
                Value("call", inner.callee, calls=(inner.id,)),
                expr,
                scope,
                stmt,
                index,
                depth + 1,
            )
        if call.receiver:
            return model_origin(facts, call.receiver, call.scope, call.stmt, index, depth + 1)
        return None
    found_kind = classify_call(facts, call, index)
    if found_kind is not None and found_kind[0] in fw.MODEL_KINDS:
        return ModelOrigin(facts.path, expr, scope, stmt, found_kind[0], "", -1)
    returned = _returned_values(facts, call, index)
    if returned is None:
        return None
    owner, helper, values = returned
    for v in values:
        found = _origin_of_value(
            owner, v, expr, helper.qualname, helper.stmt_end + 1, index, depth + 1
        )
        if found is None:
            continue
        if not found.artifact and found.load_call >= 0 and owner is facts and call.args:
            # `def load(path): return load_model(path)` called with a resolvable path here
            path = index.resolve_path(facts, call.args[0].value, call.scope, call.stmt)
            found = replace(found, artifact=path)
        return found
    return None


@on_behalf
def model_feeds(facts: FileFacts, index: ProjectIndex) -> tuple[ModelFeed, ...]:
    """Every call that gives data to a model, marked train or infer; cached on the facts."""
    memo = memos(facts, index)
    cached = memo.model_feeds
    if isinstance(cached, tuple):
        return cached
    out: list[ModelFeed] = []
    for call in facts.calls:
        method = call.method
        target = call.receiver
        if method in TRAIN_METHODS or method in PREDICT_METHODS:
            if call.receiver_call >= 0:
                inner = facts.call_by_id[call.receiver_call]
                found = classify_call(facts, inner, index)
                if found is None or found[0] not in fw.MODEL_KINDS:
                    continue
            elif not target:
                continue
            else:
                origin = model_origin(facts, target, call.scope, call.stmt, index)
                kind = origin.kind if origin is not None else ""
                if kind and kind not in fw.MODEL_KINDS:
                    continue
                if origin is None and method in TRAIN_METHODS and not call.has_kwarg("epochs"):
                    continue
            data = call.arg(0, "x") or call.arg(0, "X")
            if data is None:
                continue
            stage = "train" if method in TRAIN_METHODS else "infer"
            out.append(ModelFeed(call.id, target, data.value, stage, call.scope, call.stmt))
            continue
        # A forward call: `model(x)`, `self.net(x)`.
        callee = call.callee
        if not callee or not call.args or (method and call.receiver != "self"):
            continue
        origin = model_origin(facts, callee, call.scope, call.stmt, index)
        if origin is None or origin.kind not in (
            "torch-module",
            "keras-model",
            "torch-loaded",
            "hf-model",
            "",
        ):
            continue
        if origin.kind == "" and origin.load_call < 0:
            continue
        data = call.arg(0, "x") or call.arg(0, "input") or call.arg(0, "inputs")
        if data is None:
            continue
        if not no_grad_at(facts, call) and in_training_loop(facts, call, index):
            stage = "train"
        elif (
            no_grad_at(facts, call)
            or inference_named_scope(facts, call.scope)
            or origin.artifact
            or origin.load_call >= 0
        ):
            stage = "infer"
        else:
            continue
        out.append(ModelFeed(call.id, callee, data.value, stage, call.scope, call.stmt))
    result = tuple(out)
    memo.model_feeds = result
    return result


#
# `lineage(facts, value, scope, stmt, index)` follows an expression back through assignments,
# calls and (within one file) the callers of a function, and reports which transforms the data
# went through (`scaler.transform`, `(x - mean) / std`, `x / 255.0`, `tokenizer.texts_to_sequences`,
# a project `preprocess()` helper ...) and whether some part could not be seen through (`opaque`:
# a parameter nobody passes, a model's output, an unknown callable).
def binding_at(
    facts: FileFacts, name: str, scope: str, stmt: int, index: ProjectIndex | None = None
) -> Binding | None:
    """What `name` holds at a statement: its own scope, then `self.x` set in another method, then module level."""
    best: Binding | None = None
    cls = enclosing_class(facts, scope)
    for b in bindings(facts, index):
        if b.name != name:
            continue
        if b.scope == scope and b.stmt <= stmt:
            if best is None or best.scope != scope or b.stmt >= best.stmt:
                best = b
        elif (best is None or best.scope != scope) and (
            (name.startswith("self.") and cls and b.scope.startswith(cls + "."))
            or (b.scope == "" and (best is None or best.scope == ""))
        ):
            best = b
    return best


_INFER_WORDS = frozenset(
    {
        "predict",
        "predictor",
        "prediction",
        "predictions",
        "infer",
        "inference",
        "evaluate",
        "evaluation",
        "test",
        "serve",
        "serving",
        "score",
        "scoring",
        "eval",
    }
)


_TRAIN_WORDS = frozenset({"train", "training", "fit", "finetune"})


TRANSFORM_METHODS = frozenset(
    {
        "transform",
        "fit_transform",
        "texts_to_sequences",
        "texts_to_matrix",
        "sequences_to_matrix",
        "encode",
        "encode_plus",
        "batch_encode_plus",
        "encode_batch",
        "normalize",
        "standardize",
        "scale",
        "vectorize",
        "tokenize",
    }
)


@on_behalf
def model_load_calls(facts: FileFacts, index: ProjectIndex) -> tuple[Call, ...]:
    """Calls that load a model (not a preprocessor): load_model, torch.load, joblib.load of a model ..."""
    memo = memos(facts, index)
    if memo.model_loads is not None:
        return memo.model_loads
    out: list[Call] = []
    for event in artifact_events(facts, index):
        if event.action != "load" or event.api == "numpy-load":
            continue
        if event.api == "pickle-load":
            savers = partners(index, event, "save")
            if savers and all(s.obj_kind == "preprocessor" for s in savers):
                continue
            if event.obj and any(
                c.receiver == event.obj and c.method in TRANSFORM_METHODS for c in facts.calls
            ):
                continue
        out.append(facts.call_by_id[event.call])
    result = tuple(out)
    memo.model_loads = result
    return result
