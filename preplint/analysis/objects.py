"""What each name holds: models, preprocessors, optimizers, loaders, derived from assignments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from preplint.analysis.context import memos, on_behalf
from preplint.analysis.records import Binding
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts

if TYPE_CHECKING:
    from preplint.facts.project import ProjectIndex

# Methods that return the object they are called on (so `m = m.to(device)` keeps m's kind;
# scikit-learn's `fit` returns the estimator).
_SELF_RETURNING = fw.SELF_RETURNING_MODULE_METHODS | {"fit"}


def classify_call(
    facts: FileFacts, call: Call, index: ProjectIndex | None = None
) -> tuple[str, str, str, str] | None:
    """(kind, framework, cls, origin) for a call that builds or loads an ML object, else None."""
    qual = call.qualname
    if qual:
        pre = fw.preprocessor_kind(qual)
        if pre == "pipeline":
            return ("pipeline", "sklearn", qual, "constructed")
        if pre is not None:
            return (
                "preprocessor",
                "keras" if pre in ("keras-layer", "tokenizer") else "sklearn",
                qual,
                "constructed",
            )
        if fw.is_sklearn_estimator(qual):
            return ("sklearn-model", "sklearn", qual, "constructed")
        if fw.is_keras_model_constructor(qual):
            return ("keras-model", "keras", qual, "constructed")
        if qual in fw.KERAS_LOAD_MODEL:
            return ("keras-model", "keras", "", "loaded")
        if qual in fw.TORCH_SCRIPT_LOAD:
            return ("torch-module", "torch", "", "loaded")
        if qual in fw.TORCH_LOAD:
            return ("torch-loaded", "torch", "", "loaded")
        if qual in fw.PICKLE_LOAD:
            return ("unpickled", "other", "", "loaded")
        if fw.is_torch_module_constructor(qual):
            return ("torch-module", "torch", qual, "constructed")
        if qual.startswith(fw.TORCH_OPTIMIZER_PREFIX) and qual.count(".") == 2:
            return ("optimizer", "torch", qual, "constructed")
        if qual.startswith(fw.KERAS_OPTIMIZER_PREFIX):
            return ("optimizer", "keras", qual, "constructed")
        if qual == "torch.utils.data.DataLoader":
            return ("dataloader", "torch", qual, "constructed")
        if qual.startswith("transformers.") and call.method == "from_pretrained":
            if "Tokenizer" in call.callee or "Processor" in call.callee:
                return ("preprocessor", "hf", qual, "loaded")
            return ("hf-model", "torch", qual, "loaded")
    # A class defined in this file or elsewhere in the project.
    callee = call.callee
    if callee and not call.method:
        kind = class_kind(facts, callee, index)
        if kind is not None:
            return (kind, "keras" if kind == "keras-model" else "torch", callee, "constructed")
    return None


def _lightning_module_base(base: str) -> bool:
    """`LightningModule` (any import path) or a Lightning model class, not a `Callback`,
    `LightningDataModule`, `Strategy` or `CheckpointIO`, which are not `nn.Module`s."""
    leaf = base.rsplit(".", 1)[-1]
    return (
        base.startswith("lightning.")
        and leaf.endswith(("Module", "Model"))
        and not leaf.endswith("DataModule")
    )


def class_kind(facts: FileFacts, name: str, index: ProjectIndex | None) -> str | None:
    """'keras-model', 'keras-layer' or 'torch-module' for a project class, following local bases."""
    seen: set[str] = set()
    frontier = [(facts, name)]
    while frontier:
        owner, cls_name = frontier.pop()
        if cls_name in seen:
            continue
        seen.add(cls_name)
        cls = owner.class_by_name.get(cls_name)
        if cls is None and index is not None:
            found = index.class_for(owner, cls_name)
            if found is not None:
                owner, cls = found
        if cls is None:
            continue
        for base in cls.bases:
            if (
                base in fw.TORCH_MODULE_BASES
                or base.startswith("torch.nn.")
                or _lightning_module_base(base)
            ):
                return "torch-module"
            if base in fw.KERAS_MODEL_BASES:
                return "keras-model"
            if base in fw.KERAS_LAYER_BASES or base.startswith("keras.layers."):
                return "keras-layer"
            frontier.append((owner, base.rsplit(".", 1)[-1]))
    return None


@on_behalf
def bindings(facts: FileFacts, index: ProjectIndex | None = None) -> tuple[Binding, ...]:
    """Every assignment of an ML object, in statement order; cached on the facts."""
    memo = memos(facts, index)
    if memo.bindings is not None:
        return memo.bindings
    out: list[Binding] = []
    by_name: dict[tuple[str, str], Binding] = {}
    for assign in facts.assigns:
        if assign.op != "=" or len(assign.targets) != 1:
            continue
        call_id = assign.value.call
        if call_id < 0:
            continue
        call = facts.call_by_id[call_id]
        found = classify_call(facts, call, index)
        # `StandardScaler().fit(X)` and `model.to(device)` keep the kind of what they are called on.
        probe = call
        while found is None and probe.method in _SELF_RETURNING:
            if probe.receiver_call >= 0:
                probe = facts.call_by_id[probe.receiver_call]
                found = classify_call(facts, probe, index)
                continue
            prev = by_name.get((assign.scope, probe.receiver)) or by_name.get(("", probe.receiver))
            if prev is not None:
                found = (prev.kind, prev.framework, prev.cls, prev.origin)
            break
        if found is None:
            continue
        kind, framework, cls, origin = found
        binding = Binding(
            assign.targets[0], assign.scope, assign.stmt, kind, framework, cls, call_id, origin
        )
        out.append(binding)
        by_name[(assign.scope, binding.name)] = binding
    result = tuple(out)
    memo.bindings = result
    return result


def binding_of(
    facts: FileFacts,
    name: str,
    scope: str,
    before_stmt: int | None = None,
    index: ProjectIndex | None = None,
) -> Binding | None:
    """The binding `name` refers to in `scope` (or at module level) at a statement."""
    best: Binding | None = None
    for b in bindings(facts, index):
        if b.name != name or (before_stmt is not None and b.stmt > before_stmt):
            continue
        in_reach = b.scope == scope or (b.scope == "" and best is None)
        if in_reach and (
            best is None or (b.scope == scope and (best.scope != scope or b.stmt >= best.stmt))
        ):
            best = b
    return best
