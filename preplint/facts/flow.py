"""Training and inference paths: which calls train which object, derived from facts for every family."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from preplint.diagnostics import Span
from preplint.facts.model import Call, FileFacts, Function
from preplint.facts.objects import binding_of

if TYPE_CHECKING:
    from preplint.facts.project import ProjectIndex

# Methods that train the object they are called on (Keras, scikit-learn, XGBoost, Lightning's trainer).
FIT_METHODS = frozenset({"fit", "fit_generator", "train_on_batch", "partial_fit"})
_NOT_MODELS = frozenset({"preprocessor", "dataloader", "optimizer"})


@dataclass(frozen=True)
class TrainingStep:
    """One place where an object is trained: a fit call, a training loop, or a helper that trains it."""

    stmt: int  # statement of the call (for a loop: of its last training step)
    span: Span
    what: str  # "`model.fit(...)`", "training loop", "`train(model, ...)`"


def is_backward(call: Call) -> bool:
    return call.method == "backward" and bool(call.receiver or call.receiver_call >= 0)


def _optimizer_targets(facts: FileFacts, index: ProjectIndex | None) -> dict[str, set[str]]:
    """Optimizer name → roots of the objects whose parameters it updates (`Adam(model.parameters())`)."""
    out: dict[str, set[str]] = {}
    for a in facts.assigns:
        if a.op != "=" or len(a.targets) != 1 or a.value.call < 0:
            continue
        call = facts.call_by_id[a.value.call]
        if not call.qualname.startswith(("torch.optim.", "keras.optimizers.")):
            continue
        roots: set[str] = set()
        for arg in call.args:
            roots.update(_roots(facts, arg.value.names, arg.value.calls))
        out[a.targets[0]] = roots
    return out


def _roots(facts: FileFacts, names: tuple[str, ...], calls: tuple[int, ...]) -> set[str]:
    roots = set(names)
    for cid in calls:
        inner = facts.call_by_id.get(cid)
        if inner is not None and inner.receiver:
            roots.add(inner.receiver)
    return roots


def function_trains(owner: FileFacts, fn: Function) -> bool:
    """Whether a function's body trains something (a fit call or a backward pass)."""
    scope = fn.qualname
    for call in owner.calls:
        if call.scope == scope or call.scope.startswith(scope + "."):
            if is_backward(call) or (call.method in FIT_METHODS and call.receiver and not call.receiver.startswith(("scaler", "encoder"))):
                return True
    return False


def training_steps(
    facts: FileFacts, index: ProjectIndex | None, name: str, scope: str, after_stmt: int = -1
) -> list[TrainingStep]:
    """Where `name` (a model's dotted name) is trained in `scope` after a statement, in order.

    Stops at a reassignment of `name`: what is trained after it is another object.
    """
    stop = min(
        (a.stmt for a in facts.assigns if a.scope == scope and a.stmt > after_stmt and name in a.targets and a.op in ("=", "with", "for")),
        default=10**9,
    )
    steps: list[TrainingStep] = []
    optimizers = _optimizer_targets(facts, index)
    for call in facts.calls:
        if call.scope != scope or not (after_stmt < call.stmt < stop):
            continue
        if call.method in FIT_METHODS and call.receiver == name:
            b = binding_of(facts, name, scope, call.stmt, index)
            if b is None or b.kind not in _NOT_MODELS:
                steps.append(TrainingStep(call.stmt, call.span, f"`{call.callee}(...)`"))
            continue
        if call.method == "fit" and call.receiver and any(name in a.value.names for a in call.args):
            steps.append(TrainingStep(call.stmt, call.span, f"`{call.callee}(...)`"))
            continue
        if is_backward(call) or (call.method == "step" and call.receiver in optimizers):
            targets = _step_targets(facts, call, optimizers)
            if targets is None or name in targets or name.split(".", 1)[0] in targets:
                steps.append(TrainingStep(call.stmt, call.span, "training loop"))
            continue
        if call.callee and not call.method and any(name in a.value.names or name in _roots(facts, (), a.value.calls) for a in call.args):
            found = index.function_for(facts, call.callee) if index is not None else None
            if found is None and call.callee in facts.function_by_qualname:
                found = (facts, facts.function_by_qualname[call.callee])
            if found is not None and function_trains(*found):
                steps.append(TrainingStep(call.stmt, call.span, f"`{call.callee}(...)`"))
    return steps


def _step_targets(facts: FileFacts, call: Call, optimizers: dict[str, set[str]]) -> set[str] | None:
    """What a backward pass / optimizer step trains: the optimizers' targets in this scope, None if unknown."""
    if call.method == "step":
        return optimizers.get(call.receiver)
    in_scope = [
        optimizers[c.receiver]
        for c in facts.calls
        if c.scope == call.scope and c.method == "step" and c.receiver in optimizers
    ]
    if not in_scope:
        return None
    return set().union(*in_scope)
