"""MODE005 (grad-tracking-at-inference): Flags a PyTorch module run in an inference path (after loading it, after `.eval()`, or in a predict/evaluate/serve function) outside `torch.no_grad()` / `torch.inference_mode()`."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.calls import call_sites
from preplint.analysis.code_roles import is_test_code
from preplint.analysis.context import FileContext
from preplint.analysis.modes import module_state
from preplint.analysis.module_use import (
    built_untrained_here,
    in_lightning_module,
    is_test_in_pytest_file,
    method_owner,
    module_uses,
    only_called_for_training,
    resumes_training,
    trained_uses,
)
from preplint.analysis.scopes import enclosing_functions, inference_named_scope, no_grad_at
from preplint.analysis.training import in_training_loop
from preplint.facts.model import FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


@rule(
    "MODE005",
    "grad-tracking-at-inference",
    severity="info",
    positives=[
        """
import torch
from torch import nn

model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
model.load_state_dict(torch.load("mlp.pt", weights_only=True))
model.eval()
preds = model(torch.randn(4, 8)).argmax(1)  # expect: MODE005
""",
        """
import torch

class Predictor:
    def __init__(self, path):
        self.model = torch.jit.load(path)
        self.model.eval()

    def predict(self, x):
        return self.model(x).softmax(-1)  # expect: MODE005
""",
        # positives-MODE005
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, n_in=8, n_out=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(32, n_out)

    def forward(self, x):
        return self.head(self.body(x))

def predict(model, x):
    model.eval()
    return model(x).softmax(-1)  # expect: MODE005
""",
        # field_positives-MODE005: a served global named like a constant, loaded under the main guard
        """
import torch
import torch.nn as nn
from flask import Flask, request

app = Flask(__name__)
MODEL = None

def score(text):
    ids = torch.tensor([[ord(c) % 100 for c in text]])
    return MODEL(ids).sigmoid().item()  # expect: MODE005

@app.route("/score")
def route():
    return {"score": score(request.args["q"])}

if __name__ == "__main__":
    MODEL = nn.Sequential(nn.Embedding(100, 16), nn.Flatten(), nn.LazyLinear(1))
    MODEL.load_state_dict(torch.load("scorer.pt", weights_only=True))
    MODEL.eval()
    app.run()
""",
        # field_positives-MODE005: a `test()` helper that scores a model in eval mode without no_grad
        """
import torch

def test(loader, model, criterion):
    model.eval()
    total = 0.0
    for x, y in loader:
        out = model(x)  # expect: MODE005
        total += criterion(out, y).item()
    return total / len(loader)
""",
    ],
    negatives=[
        # field_negatives-MODE005: a unittest case scoring a loaded model is test code
        """
import unittest

import torch
import torch.nn as nn

class ScorerChecks(unittest.TestCase):
    def setUp(self):
        self.model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
        self.model.load_state_dict(torch.load("scorer.pt", weights_only=True))
        self.model.eval()

    def test_output_range(self):
        out = self.model(torch.randn(3, 4))
        self.assertEqual(out.shape, (3, 1))
""",
        """
import torch
from torch import nn

model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
model.load_state_dict(torch.load("mlp.pt", weights_only=True))
model.eval()
with torch.inference_mode():
    preds = model(torch.randn(4, 8)).argmax(1)
""",
        """
import torch

class Predictor:
    def __init__(self, path):
        self.model = torch.jit.load(path)
        self.model.eval()

    @torch.no_grad()
    def predict(self, x):
        return self.model(x).softmax(-1)
""",
        # negatives-MODE005
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, n_in=8, n_out=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(32, n_out)

    def forward(self, x):
        return self.head(self.body(x))

def predict(model, x):
    model.eval()
    return model(x)

def main():
    model = Net()
    with torch.no_grad():
        print(predict(model, torch.randn(2, 8)))
""",
        # negatives-MODE005
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, n_in=8, n_out=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(32, n_out)

    def forward(self, x):
        return self.head(self.body(x))

torch.set_grad_enabled(False)
model = Net()
model.load_state_dict(torch.load("net.pt", weights_only=True))
model.eval()
print(model(torch.randn(2, 8)))
""",
    ],
)
def grad_tracking_at_inference(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags a PyTorch module run in an inference path (after loading it, after `.eval()`, or in a
    predict/evaluate/serve function) outside `torch.no_grad()` / `torch.inference_mode()`.

    Why is this bad?:
    Autograd records every operation and keeps the activations alive for a backward pass that
    never comes: inference is slower and uses much more memory (out-of-memory on large batches).
    `model.eval()` does not turn gradient tracking off.

    Example:
    ```python
    model.eval()
    preds = model(x)
    ```

    Use instead:
    ```python
    model.eval()
    with torch.inference_mode():
        preds = model(x)
    ```

    References:
    - https://pytorch.org/docs/stable/generated/torch.inference_mode.html
    """
    facts, index = ctx.facts, ctx.index
    if not facts.uses("torch"):
        return
    if any(
        c.qualname in ("torch.set_grad_enabled", "torch.autograd.set_grad_enabled")
        and c.parent == -1
        for c in facts.calls
    ):
        return
    frozen = {c.receiver for c in facts.calls if c.method == "requires_grad_"} | {
        t.rsplit(".", 1)[0]
        for a in facts.assigns
        for t in a.targets
        if t.endswith(".requires_grad") and a.value.const is False
    }
    frozen_any = bool(frozen - {""})  # parameters frozen: no graph is built for them
    reported: set[tuple[str, str]] = set()
    trained: set[tuple[str, str]] | None = None
    training = ctx.training_scopes
    for call, name in module_uses(facts, index):
        name = method_owner(facts, call, index) or name  # `vae.encode(x)` runs `vae`
        key = (call.scope, name)
        if key in reported or no_grad_at(facts, call) or call.scope in training or frozen_any:
            continue
        if (
            in_training_loop(facts, call, index)
            or is_test_in_pytest_file(facts, call.scope)
            or is_test_code(facts, call.scope)
            or in_lightning_module(facts, call.scope, index)
        ):
            continue  # a test checks the model; the memory autograd keeps there ships to nobody
        if any(
            w in call.withs
            for w in (
                "torch.enable_grad",
                "torch.set_grad_enabled",
                "torch.autograd.set_grad_enabled",
            )
        ):
            continue
        state = module_state(facts, name, call.scope, call.stmt, index)
        if not state.torch or state.stateless:
            continue
        if state.load is None and built_untrained_here(facts, call, name):
            continue  # a shape check on a module built right here, not an inference path
        if state.load is not None:
            if trained is None:
                trained = trained_uses(facts, index)
            if resumes_training(facts, state, call, trained, index):
                continue  # a sampler run from the loop that resumes training the loaded module
        named = inference_named_scope(facts, call.scope)
        if state.assumed and not named:
            continue
        if not (
            state.load is not None
            or state.mode == "eval"
            or (named and not only_called_for_training(facts, call.scope, index))
        ):
            continue
        if _callers_disable_grad(facts, call.scope, index):
            continue
        reported.add(key)
        yield Finding(
            call.span,
            f"`{name}` runs for inference with gradient tracking on: wrap it in `torch.inference_mode()` (or `torch.no_grad()`) "
            "to save time and memory",
        )


def _callers_disable_grad(facts: FileFacts, scope: str, index: ProjectIndex) -> bool:
    """A function whose callers run it under no_grad (`with torch.no_grad(): preds = predict(x)`)."""
    fns = enclosing_functions(facts, scope)
    if not fns:
        return False
    frontier = [(facts, fns[-1])]
    for _ in range(3):
        nxt = []
        for owner, fn in frontier:
            for site_facts, site in call_sites(owner, fn, index):
                if no_grad_at(site_facts, site):
                    return True
                outer = enclosing_functions(site_facts, site.scope)
                if outer:
                    nxt.append((site_facts, outer[-1]))
        frontier = nxt
    return False
