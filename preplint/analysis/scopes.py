"""Where a call sits: its enclosing functions and class, no-grad blocks, names that say inference."""

from __future__ import annotations

import re

from preplint.facts.model import Call, FileFacts, Function

# `with` items and decorators that turn gradient tracking off (set_grad_enabled is left out: its
# argument decides, and `torch.set_grad_enabled(phase == "train")` is a training idiom).
NO_GRAD_CONTEXTS = frozenset(
    {
        "torch.no_grad",
        "torch.inference_mode",
        "torch.autograd.no_grad",
        "torch.autograd.grad_mode.no_grad",
        "torch.autograd.inference_mode",
        "torch.autograd.grad_mode.inference_mode",
    }
)


# Word prefixes of function/class names that say "this runs a trained model".
_INFERENCE_WORD_PREFIXES = (
    "predict",
    "infer",
    "evaluat",
    "eval",
    "test",
    "serve",
    "serving",
    "score",
    "scoring",
    "validat",
)


_INFERENCE_WORDS = frozenset({"val"})


_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def name_words(name: str) -> tuple[str, ...]:
    """`run_inference` → ('run', 'inference'); `ImagePredictor` → ('image', 'predictor')."""
    return tuple(w.lower() for part in name.split("_") for w in _WORD.findall(part))


def says_inference(name: str) -> bool:
    """Whether a function or class name says it runs a trained model (predict, evaluate, test, serve...)."""
    return any(
        w in _INFERENCE_WORDS or w.startswith(_INFERENCE_WORD_PREFIXES) for w in name_words(name)
    )


def enclosing_functions(facts: FileFacts, scope: str) -> list[Function]:
    """The function `scope` names and the functions around it, innermost first."""
    out: list[Function] = []
    parts = scope.split(".") if scope else []
    for end in range(len(parts), 0, -1):
        fn = facts.function_by_qualname.get(".".join(parts[:end]))
        if fn is not None:
            out.append(fn)
    return out


def enclosing_class(facts: FileFacts, scope: str) -> str:
    """The name of the class whose method `scope` is (or is inside), '' if none."""
    for fn in enclosing_functions(facts, scope):
        if fn.cls:
            return fn.cls
    return ""


def no_grad_at(facts: FileFacts, call: Call) -> bool:
    """Whether `call` runs with gradient tracking off (`with torch.no_grad()`, a decorated function)."""
    if any(w in NO_GRAD_CONTEXTS for w in call.withs):
        return True
    return any(
        d in NO_GRAD_CONTEXTS
        for fn in enclosing_functions(facts, call.scope)
        for d in fn.decorators
    )


def inference_named_scope(facts: FileFacts, scope: str) -> str:
    """The function or class name around `scope` that says inference, '' if none."""
    for fn in enclosing_functions(facts, scope):
        if says_inference(fn.name):
            return fn.name
    cls = enclosing_class(facts, scope)
    if cls and says_inference(cls):
        return cls
    return ""
