"""Inference paths: functions and calls that run a trained model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from preplint.analysis.code_roles import is_pytest_function, is_test_class
from preplint.analysis.context import memos, on_behalf
from preplint.analysis.models import _INFER_WORDS, _TRAIN_WORDS, model_load_calls
from preplint.analysis.scopes import NO_GRAD_CONTEXTS, enclosing_class, name_words
from preplint.analysis.training import training_calls, training_scopes
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts

if TYPE_CHECKING:
    from preplint.facts.project import ProjectIndex


def is_inference_function(facts: FileFacts, scope: str, index: ProjectIndex | None = None) -> bool:
    """A function whose name says it predicts/evaluates/serves, or decorated with no_grad, and that trains nothing."""
    fn = facts.function_by_qualname.get(scope) if scope else None
    if fn is None or scope in training_scopes(facts, index):
        return False
    if any(d in NO_GRAD_CONTEXTS for d in fn.decorators):
        return True
    words = set(name_words(fn.name))
    if fn.cls and fn.name in ("__call__", "forward") and set(name_words(fn.cls)) & _INFER_WORDS:
        return True
    if words & _TRAIN_WORDS:
        return False
    if is_pytest_function(facts, scope):
        return False  # a unit test checks a model; it is not the inference path that ships
    return bool(words & _INFER_WORDS)


def inference_reason(
    facts: FileFacts, scope: str, stmt: int, withs: tuple[str, ...], index: ProjectIndex
) -> str:
    """Why the code at (scope, stmt) is an inference path (RULES.md), or '' when it is not."""
    if any(w in NO_GRAD_CONTEXTS for w in withs):
        return "inside `torch.no_grad()`"
    if is_inference_function(facts, scope, index):
        return f"in `{scope}`"
    trains = training_scopes(facts, index)
    loads = model_load_calls(facts, index)
    if scope in trains:
        # a training scope that reloads the model afterwards to check it
        last_train = max(
            (t.stmt for t in training_calls(facts, index) if t.scope == scope), default=-1
        )
        if any(load.scope == scope and last_train < load.stmt < stmt for load in loads):
            return "after the model is loaded"
        return ""
    for load in loads:
        if load.scope == scope and load.stmt < stmt:
            return "after the model is loaded"
        if load.scope == "" and not trains and (scope or load.stmt < stmt):
            return "in a script that loads a model"
    if not trains and scope:
        cls = enclosing_class(facts, scope)
        if cls and cls in _model_holding_classes(facts, index):
            return f"in `{scope}`, whose class loads a model"
    return ""


@on_behalf
def _model_holding_classes(facts: FileFacts, index: ProjectIndex) -> frozenset[str]:
    """Classes that keep a loaded model on the instance, so every method of theirs serves it.

    A load counts when it is made in a constructor-like method, stored on `self`/`cls`
    (`self.model = load(...)`, `self.net.load_state_dict(torch.load(p))`) or returned to the
    caller. Test classes never count: each test method is its own scenario, and a test that
    reloads a saved model says nothing about a sibling test that fits a layer.
    """
    memo = memos(facts, index)
    if memo.model_holding_classes is not None:
        return memo.model_holding_classes
    out: set[str] = set()
    for load in model_load_calls(facts, index):
        fn = facts.function_by_qualname.get(load.scope) if load.scope else None
        cls = enclosing_class(facts, load.scope) if load.scope else ""
        if fn is None or not cls or cls in out or is_test_class(facts, cls):
            continue
        parent = facts.call_by_id.get(load.parent)
        kept = (
            fn.name in fw.MODEL_SETUP_METHODS
            or load.receiver in ("self", "cls")
            or load.receiver.startswith(("self.", "cls."))
            or (parent is not None and parent.receiver.startswith(("self.", "cls.")))
            or any(load.id in v.calls for v in fn.returns)
            or any(
                a.stmt == load.stmt
                and load.id in a.value.calls
                and any(t.startswith(("self.", "cls.")) for t in a.targets)
                for a in facts.assigns
            )
        )
        if kept:
            out.add(cls)
    result = frozenset(out)
    memo.model_holding_classes = result
    return result


def in_inference_path(facts: FileFacts, call: Call, index: ProjectIndex) -> bool:
    """Whether a call runs in an inference path: an inference function, no_grad, or after a model load."""
    return inference_reason(facts, call.scope, call.stmt, call.withs, index) != ""
