"""Training paths: the calls that train, the functions that train, and training loops."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from preplint.analysis.calls import resolve_function
from preplint.analysis.context import memos, on_behalf
from preplint.analysis.objects import binding_of
from preplint.diagnostics import Span
from preplint.facts.model import Call, FileFacts, Function

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
        if call.scope != scope and not call.scope.startswith(scope + "."):
            continue
        if is_backward(call):
            return True
        if call.method in FIT_METHODS and call.receiver:
            b = binding_of(owner, call.receiver, call.scope, call.stmt)
            if b is None or b.kind not in _NOT_MODELS:
                return True
    return False


def training_steps(
    facts: FileFacts, index: ProjectIndex | None, name: str, scope: str, after_stmt: int = -1
) -> list[TrainingStep]:
    """Where `name` (a model's dotted name) is trained in `scope` after a statement, in order.

    Stops at a reassignment of `name`: what is trained after it is another object.
    """
    stop = min(
        (
            a.stmt
            for a in facts.assigns
            if a.scope == scope
            and a.stmt > after_stmt
            and name in a.targets
            and a.op in ("=", "with", "for")
        ),
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
        if (
            call.callee
            and not call.method
            and any(
                name in a.value.names or name in _roots(facts, (), a.value.calls) for a in call.args
            )
        ):
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


def is_training_call(facts: FileFacts, call: Call, index: ProjectIndex | None = None) -> bool:
    """A call that updates a model: `loss.backward()`, `optimizer.step()`, `model.fit(...)`, `apply_gradients`."""
    method = call.method
    if method == "backward" or call.name in ("torch.autograd.backward",):
        return True
    if method == "step":
        return _optimizer_like(facts, call.receiver, call, index) or any(
            _optimizer_like(facts, a.value.name, call, index) for a in call.args[:1] if a.value.name
        )
    if method in ("apply_gradients", "minimize", "train_on_batch"):
        return True
    if method in ("fit", "fit_generator"):
        b = (
            binding_of(facts, call.receiver.split(".")[0], call.scope, call.stmt, index)
            if call.receiver
            else None
        )
        if b is not None:
            return b.kind in (
                "keras-model",
                "sklearn-model",
                "pipeline",
                "torch-module",
                "hf-model",
            )
        return "trainer" in call.receiver.lower()
    return False


def _optimizer_like(
    facts: FileFacts, receiver: str, call: Call, index: ProjectIndex | None
) -> bool:
    if not receiver:
        return False
    b = (
        binding_of(facts, receiver.split(".")[0], call.scope, call.stmt, index)
        if "." not in receiver
        else None
    )
    if b is not None:
        return b.kind == "optimizer"
    last = receiver.rsplit(".", 1)[-1].lower()
    if "sched" in last:
        return False
    return "optim" in last or last in ("opt", "opt_g", "opt_d") or last.startswith("opt_")


@on_behalf
def training_calls(facts: FileFacts, index: ProjectIndex | None = None) -> tuple[Call, ...]:
    """Calls that train: direct training calls, and calls of project functions that train."""
    memo = memos(facts, index)
    if memo.training_calls is None:
        memo.training_calls = tuple(
            c
            for c in facts.calls
            if is_training_call(facts, c, index) or _calls_trainer(facts, c, index, 0)
        )
    return memo.training_calls


def training_scopes(facts: FileFacts, index: ProjectIndex | None = None) -> frozenset[str]:
    """Scopes (function qualnames, '' for module level) that contain a training call."""
    return frozenset(c.scope for c in training_calls(facts, index))


def function_trains_deep(
    facts: FileFacts, fn: Function, index: ProjectIndex | None = None, depth: int = 0
) -> bool:
    """Whether a project function trains a model (directly or through the functions it calls)."""
    if depth > 2:
        return False
    for c in facts.calls:
        if (c.scope == fn.qualname or c.scope.startswith(fn.qualname + ".")) and is_training_call(
            facts, c, index
        ):
            return True
    if depth == 2:
        return False
    return any(
        _calls_trainer(facts, c, index, depth + 1) for c in facts.calls if c.scope == fn.qualname
    )


@on_behalf
def _calls_trainer(facts: FileFacts, call: Call, index: ProjectIndex | None, depth: int) -> bool:
    target = resolve_function(facts, call, index)
    if target is None:
        return False
    owner, fn = target
    trains = memos(owner, index).trains
    cached = trains.get(fn.qualname)
    if cached is not None:
        return cached
    trains[fn.qualname] = False  # recursion guard
    result = function_trains_deep(owner, fn, index, depth)
    trains[fn.qualname] = result
    return result


def in_training_loop(facts: FileFacts, call: Call, index: ProjectIndex | None = None) -> bool:
    """Whether `call` sits in a loop (or, outside loops, a scope) whose body trains."""
    if not call.loops:
        return any(t.scope == call.scope and not t.loops for t in training_calls(facts, index))
    inner = call.loops[-1]
    return any(t.scope == call.scope and inner in t.loops for t in training_calls(facts, index))
