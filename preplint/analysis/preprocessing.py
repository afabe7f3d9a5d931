"""Preprocessing: fitted preprocessors, evaluation data, what a training call is fed."""

from __future__ import annotations

import re
from collections.abc import Iterator

from preplint.analysis.artifacts import artifact_events
from preplint.analysis.calls import argument_for, call_sites
from preplint.analysis.context import memos, on_behalf
from preplint.analysis.inference import in_inference_path
from preplint.analysis.lineage import data_arg, lineage, reaching
from preplint.analysis.models import PREDICT_METHODS, binding_at
from preplint.analysis.objects import classify_call
from preplint.analysis.records import ArtifactEvent, PreFit
from preplint.analysis.scopes import NO_GRAD_CONTEXTS, name_words
from preplint.analysis.training import training_scopes
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts, Value
from preplint.facts.paths import basename
from preplint.facts.project import ProjectIndex

FIT_PRE = frozenset(
    {"fit", "fit_transform", "adapt", "fit_on_texts", "fit_on_sequences", "partial_fit"}
)


TARGET_ENCODERS = frozenset({"LabelEncoder", "LabelBinarizer", "MultiLabelBinarizer"})


EVAL_WORDS = frozenset({"test", "val", "valid", "validation", "eval", "holdout", "heldout"})


EVAL_COMPACT = re.compile(
    r"^(x|y|df|data|dataset|ds|features?)(test|val|valid|eval|holdout)$|^(test|val|valid|eval|holdout)(x|y|df|data|set|ds)$"
)


SAVE_QUALS = frozenset(
    {
        *fw.PICKLE_DUMP,
        "numpy.save",
        "numpy.savez",
        "numpy.savez_compressed",
        "numpy.savetxt",
        "json.dump",
        "json.dumps",
        "yaml.dump",
        "yaml.safe_dump",
        "torch.save",
    }
)


@on_behalf
def preprocessor_fits(facts: FileFacts, index: ProjectIndex) -> tuple[PreFit, ...]:
    """Every fit/fit_transform/adapt/fit_on_texts of a preprocessor built in this file (stateless ones excluded)."""
    memo = memos(facts, index)
    if memo.preprocessor_fits is not None:
        return memo.preprocessor_fits
    out: list[PreFit] = []
    for call in facts.calls:
        if call.method not in FIT_PRE:
            continue
        obj, cls, ctor = "", "", -1
        if call.receiver_call >= 0:
            inner = facts.call_by_id[call.receiver_call]
            found = classify_call(facts, inner, index)
            if found is None or found[0] != "preprocessor" or found[3] != "constructed":
                continue
            cls, ctor = found[2], inner.id
            for a in facts.assigns:
                if a.stmt == call.stmt and a.value.call == call.id and len(a.targets) == 1:
                    obj = a.targets[0]
        elif call.receiver and not call.qualname:
            b = binding_at(facts, call.receiver, call.scope, call.stmt, index)
            if b is None or b.kind != "preprocessor" or b.origin != "constructed":
                continue
            obj, cls, ctor = call.receiver, b.cls, b.call
        else:
            continue
        if cls.rsplit(".", 1)[-1] in fw.STATELESS_PREPROCESSORS:
            continue
        out.append(PreFit(call, obj, cls, ctor))
    result = tuple(out)
    memo.preprocessor_fits = result
    return result


def is_eval_name(name: str) -> bool:
    """`X_test`, `val_df`, `x_valid`, `Xtest`: a name that holds evaluation data."""
    last = name.rsplit(".", 1)[-1]
    words = set(name_words(last))
    found = words & EVAL_WORDS
    if found and words & {"train", "training"}:
        return (
            False  # `X_train_valid`, `train_val_df`: training data that also holds validation rows
        )
    if found == {"val"} and words & VALUE_WORDS:
        return False  # `loss_val`, `max_val`: "val" is a value here, not validation data
    if found:
        return True
    return bool(EVAL_COMPACT.match(last.lower()))


VALUE_WORDS = frozenset(
    {
        "loss",
        "losses",
        "acc",
        "accuracy",
        "score",
        "metric",
        "metrics",
        "min",
        "max",
        "mean",
        "std",
        "sum",
        "grad",
        "lr",
        "clip",
        "pad",
        "fill",
        "default",
        "init",
    }
)


def is_eval_data(facts: FileFacts, value: Value, scope: str, stmt: int, depth: int = 0) -> bool:
    """Whether an expression reads evaluation data (by name, or a file read whose path says test/val)."""
    if any(is_eval_name(n) for n in value.names):
        return True
    if depth >= 2:
        return False
    for cid in value.calls:
        call = facts.call_by_id[cid]
        if call.qualname.startswith(("pandas.read_", "numpy.load")):
            for a in call.args:
                if (
                    isinstance(a.value.const, str)
                    and set(name_words(basename(a.value.const).rsplit(".", 1)[0])) & EVAL_WORDS
                ):
                    return True
        if call.receiver and not call.qualname and is_eval_name(call.receiver):
            return True
    for n in value.names:
        src = reaching(facts, n, scope, stmt)
        if src is None or src.op != "=" or len(src.targets) != 1:
            continue
        v = src.value
        if v.kind == "call" and facts.call_by_id[v.call].qualname in fw.SPLIT_CALLS:
            continue
        if is_eval_data(facts, v, src.scope, src.stmt, depth + 1):
            return True
    return False


def is_target_data(value: Value) -> bool:
    return any(
        set(name_words(n.rsplit(".", 1)[-1]))
        & {"y", "label", "labels", "target", "targets", "class", "classes"}
        or n.split(".")[-1].lower().startswith("y_")
        for n in value.names
    ) or bool(re.search(r"\[\s*['\"](label|target|class|y)", value.text))


def obj_root(obj: str) -> str:
    text = obj.split("(", 1)[0]
    for suffix in (".state_dict", ".module", ".model"):
        if text.endswith(suffix) and text != suffix[1:]:
            text = text[: -len(suffix)]
    return text


def _reads(value: Value, name: str) -> bool:
    return any(n == name or n.startswith(name + ".") for n in value.names)


def helper_sites(facts: FileFacts, index: ProjectIndex, fit: PreFit) -> list[Call]:
    """Call sites that pass evaluation data (or run at inference) into a helper whose fit reads its parameter."""
    fn = facts.function_by_qualname.get(fit.call.scope)
    data = data_arg(fit.call)
    if fn is None or data is None:
        return []
    tracer_lineage = lineage(facts, data, fit.call.scope, fit.call.stmt, index, follow_params=False)
    params = [p for p in tracer_lineage.params if p in fn.params]
    if not params:
        return []
    out: list[Call] = []
    for owner, site in call_sites(facts, fn, index):
        for p in params:
            arg = argument_for(site, fn, p)
            if arg is not None and is_eval_data(owner, arg, site.scope, site.stmt):
                out.append(site)
                break
    return out


def inference_calls(facts: FileFacts, index: ProjectIndex) -> Iterator[Call]:
    trains = training_scopes(facts, index)
    for call in facts.calls:
        if (
            call.method in PREDICT_METHODS
            and (call.receiver or call.receiver_call >= 0)
            and not call.qualname
        ):
            if call.receiver:
                b = binding_at(facts, call.receiver, call.scope, call.stmt, index)
                if b is not None and b.kind in (
                    "preprocessor",
                    "pipeline",
                    "optimizer",
                    "dataloader",
                ):
                    continue
                if b is None and call.receiver in ("self", "np", "pd"):
                    continue
            yield call
        elif not call.method and call.callee and not call.qualname:
            b = binding_at(facts, call.callee, call.scope, call.stmt, index)
            if b is None or b.kind not in (
                "torch-module",
                "keras-model",
                "torch-loaded",
                "hf-model",
            ):
                continue
            if call.scope in trains and not any(w in NO_GRAD_CONTEXTS for w in call.withs):
                continue
            if in_inference_path(facts, call, index):
                yield call


def load_events_for(
    facts: FileFacts, index: ProjectIndex, root: str, scope: str, stmt: int, depth: int = 0
) -> list[ArtifactEvent]:
    """The load events whose result `root` holds at (scope, stmt)."""
    if depth > 3 or not root:
        return []
    events = [e for e in artifact_events(facts, index) if e.action == "load"]
    by_call = {e.call: e for e in events}
    out: list[ArtifactEvent] = []
    assign = reaching(facts, root, scope, stmt)
    if assign is not None:
        for cid in assign.value.calls:
            if cid in by_call:
                out.append(by_call[cid])
        if not out and assign.value.kind == "call":
            call = facts.call_by_id[assign.value.call]
            target = call.callee
            if call.method and call.receiver in ("self", "cls"):
                fn = facts.function_by_qualname.get(scope)
                target = f"{fn.cls}.{call.method}" if fn is not None and fn.cls else call.method
            found = index.function_for(facts, target) if target else None
            if found is not None:
                owner, fn2 = found
                out.extend(
                    e
                    for e in artifact_events(owner, index)
                    if e.action == "load"
                    and owner.call_by_id[e.call].scope == fn2.qualname
                    and e.api != "numpy-load"
                )
        if not out and assign.value.kind in ("name", "attr") and assign.value.text != root:
            out.extend(
                load_events_for(
                    facts, index, assign.value.text, assign.scope, assign.stmt, depth + 1
                )
            )
    # model.load_state_dict(torch.load(p)) / model.load_weights(p)
    for e in events:
        call = facts.call_by_id[e.call]
        if e.api == "load-weights" and e.obj == root:
            out.append(e)
        elif call.parent >= 0:
            parent = facts.call_by_id[call.parent]
            if parent.method == "load_state_dict" and obj_root(parent.receiver) == root:
                out.append(e)
    return out
