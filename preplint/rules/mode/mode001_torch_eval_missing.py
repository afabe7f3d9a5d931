"""MODE001 (torch-eval-missing): Flags a PyTorch module that runs in an inference path (after `load_state_dict` or `torch.load`, under `torch.no_grad()`/`torch.inference_mode()`, or in a predict, evaluate or test function) when no `.eval()` (or `.train(False)`) was called on it first on that path."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.modes import (
    ModuleState,
    module_state,
)
from preplint.analysis.module_layers import mode_layers
from preplint.analysis.module_use import (
    in_lightning_module,
    is_pytest_function,
    module_uses,
    only_called_for_training,
)
from preplint.analysis.scopes import (
    NO_GRAD_CONTEXTS,
    inference_named_scope,
    no_grad_at,
)
from preplint.analysis.training import (
    in_training_loop,
    training_calls,
    training_scopes,
)
from preplint.diagnostics import Edit, Fix, Related, Severity
from preplint.facts.model import Call, FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


def _inference_reason(
    facts: FileFacts, call: Call, state: ModuleState, index: ProjectIndex, trained_here: bool
) -> str:
    """Why this use of a module is inference, '' when it is (or may be) training."""
    if is_pytest_function(facts, call.scope) or in_lightning_module(facts, call.scope, index):
        return ""
    if no_grad_at(facts, call):
        if trained_here and _same_loop_as_training(facts, call, index):
            return ""  # a GAN's generator sampled for the discriminator step: part of training
        return (
            "under `torch.no_grad()`"
            if any(w in NO_GRAD_CONTEXTS for w in call.withs)
            else "in a no-grad function"
        )
    if in_training_loop(facts, call, index):
        return ""
    training_scope = call.scope in training_scopes(facts, index)
    named = inference_named_scope(facts, call.scope)
    if (
        named
        and not training_scope
        and not is_pytest_function(facts, call.scope)
        and not only_called_for_training(facts, call.scope, index)
    ):
        return f"in `{named}`"
    if state.load is not None and not training_scope:
        return "after its weights are loaded"
    return ""


def _same_loop_as_training(facts: FileFacts, call: Call, index: ProjectIndex) -> bool:
    inner = call.loops[-1:] or ()
    return any(
        t.scope == call.scope and tuple(t.loops[-1:]) == tuple(inner)
        for t in training_calls(facts, index)
    )


def _trained_uses(facts: FileFacts, index: ProjectIndex) -> set[tuple[str, str]]:
    """(scope, module name) pairs run with gradients inside a training loop."""
    out: set[tuple[str, str]] = set()
    for call, name in module_uses(facts, index):
        if not no_grad_at(facts, call) and in_training_loop(facts, call, index):
            out.add((call.scope, name))
    return out


def _statement_start(facts: FileFacts, call: Call) -> tuple[int, int, int] | None:
    """(first line, first column, last line) of the simple statement holding `call`, if it is a plain one."""
    for a in facts.assigns:
        if a.stmt == call.stmt and a.op == "=" and call.id in a.value.calls:
            return a.span.line, a.span.column, max(a.span.end_line, call.span.end_line)
    if call.parent == -1:
        return call.span.line, call.span.column, call.span.end_line
    return None


def _eval_fix(
    facts: FileFacts, index: ProjectIndex, state: ModuleState, use: Call, name: str
) -> Fix | None:
    """Insert `model.eval()` after the load (or before the use of a local model). Only where nothing
    trains: an eval() inserted into a fine-tuning or training function would break its training."""
    training = training_scopes(facts, index)
    if use.scope in training:
        return None
    load = state.load
    if load is not None:
        if load.facts is not facts or load.call.scope in training:
            return None
        target = load.name
        where = _statement_start(facts, load.call)
        if not target:
            # `model = torch.load(path)`: the assigned name
            for a in facts.assigns:
                if (
                    a.stmt == load.call.stmt
                    and a.op == "="
                    and load.call.id in a.value.calls
                    and len(a.targets) == 1
                ):
                    target = a.targets[0]
        if where is None or not target:
            return None
        _, column, last = where
        text = f"{' ' * (column - 1)}{target}.eval()\n"
        return Fix(
            f"Call `{target}.eval()` after loading its weights",
            (Edit(last + 1, 1, last + 1, 1, text),),
        )
    if not any(
        a.scope == use.scope and a.stmt < use.stmt and name in a.targets for a in facts.assigns
    ):
        return None  # a parameter, a global or an attribute: whoever owns it decides its mode
    for a in facts.assigns:
        if a.stmt == use.stmt and a.op == "=" and use.id in a.value.calls:
            text = f"{' ' * (a.span.column - 1)}{name}.eval()\n"
            return Fix(
                f"Call `{name}.eval()` before running it",
                (Edit(a.span.line, 1, a.span.line, 1, text),),
            )
    return None


@rule(
    "MODE001",
    "torch-eval-missing",
    severity="error",
    probe="mode-sensitivity",
    fixable=True,
    positives=[
        """
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.fc(self.drop(x))

model = Net()
model.load_state_dict(torch.load("net.pt", weights_only=True))
with torch.no_grad():
    preds = model(torch.randn(4, 8))  # expect: MODE001
""",
        {
            "model.py": """
import torch.nn as nn

class TabularNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(12, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 3))

    def forward(self, x):
        return self.net(x)
""",
            "predict.py": """
import torch
from model import TabularNet

def load_model(path):
    model = TabularNet()
    model.load_state_dict(torch.load(path, weights_only=True))
    return model

def predict(x):
    model = load_model("artifacts/net.pt")
    with torch.no_grad():
        return model(x).argmax(1)  # expect: MODE001
""",
        },
        """
import torch
import torchvision

class Predictor:
    def __init__(self, path):
        self.model = torchvision.models.resnet18(num_classes=10)
        self.model.load_state_dict(torch.load(path, weights_only=True))

    def predict(self, batch):
        with torch.inference_mode():
            return self.model(batch).softmax(-1)  # expect: MODE001
""",
    ],
    negatives=[
        """
import torch
from torch import nn

def load_model(path):
    model = nn.Sequential(nn.Linear(8, 16), nn.Dropout(0.2), nn.Linear(16, 2))
    model.load_state_dict(torch.load(path, weights_only=True))
    model.eval()
    return model

def predict(x):
    model = load_model("net.pt")
    with torch.no_grad():
        return model(x)
""",
        """
import torch
import torchvision

class Predictor:
    def __init__(self, path, device="cpu"):
        self.model = torchvision.models.resnet18(num_classes=10).to(device)
        self.model.load_state_dict(torch.load(path, weights_only=True))
        self.model.train(False)

    def predict(self, batch):
        with torch.no_grad():
            return self.model(batch)
""",
        """
import torch
from torch import nn

model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(5):
    model.train()
    for xb, yb in [(torch.randn(8, 4), torch.randn(8, 1))]:
        opt.zero_grad()
        loss = ((model(xb) - yb) ** 2).mean()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        val = model(torch.randn(8, 4))
""",
    ],
)
def torch_eval_missing(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags a PyTorch module that runs in an inference path (after `load_state_dict` or
    `torch.load`, under `torch.no_grad()`/`torch.inference_mode()`, or in a predict, evaluate
    or test function) when no `.eval()` (or `.train(False)`) was called on it first on that
    path. The path is followed through helpers that load and return the model, a class's
    `__init__` for `self.model`, and the callers of a function that receives the model.

    Why is this bad?:
    A freshly built or loaded module is in training mode. Dropout keeps dropping units and
    BatchNorm normalises each batch with its own statistics (and updates the running ones), so
    predictions are noisy, depend on the batch, and are worse than at the end of training.
    `torch.no_grad()` does not change the mode.

    Example:
    ```python
    model = Net()
    model.load_state_dict(torch.load("net.pt", weights_only=True))
    with torch.no_grad():
        preds = model(x)
    ```

    Use instead:
    ```python
    model = Net()
    model.load_state_dict(torch.load("net.pt", weights_only=True))
    model.eval()
    with torch.no_grad():
        preds = model(x)
    ```

    References:
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.eval
    - https://pytorch.org/tutorials/beginner/saving_loading_models.html
    """
    facts, index = ctx.facts, ctx.index
    if not (facts.uses("torch") or facts.uses("torchvision") or facts.uses("timm")):
        return
    reported: set[tuple[str, str]] = set()
    trained = _trained_uses(facts, index)
    for call, name in module_uses(facts, index):
        key = (call.scope, name)
        if key in reported:
            continue
        state = module_state(facts, name, call.scope, call.stmt, index)
        if not state.torch or state.stateless or state.mode != "train":
            continue
        reason = _inference_reason(facts, call, state, index, key in trained)
        if not reason or (state.assumed and not reason.startswith("in `") and key not in trained):
            # A parameter nobody passes counts in a function that says it predicts, or one that trains it.
            continue
        reported.add(key)
        layers = _layers_of(facts, state, index)
        severity: Severity | None = None
        if layers:
            kinds = " and ".join(
                sorted({"dropout": "Dropout", "batchnorm": "BatchNorm"}[k] for k in layers)
            )
            message = f"`{name}` runs {reason} but is still in training mode (no `.eval()` on this path): its {kinds} layers act as in training"
        elif layers is None:
            message = f"`{name}` runs {reason} but is still in training mode (no `.eval()` on this path): Dropout and BatchNorm layers act as in training"
        else:
            severity = Severity.WARNING
            message = (
                f"`{name}` runs {reason} without `.eval()`; its class has no Dropout or BatchNorm today, "
                "so outputs match, but any such layer added later will act as in training"
            )
        related: tuple[Related, ...] = ()
        if state.load is not None:
            lc = state.load.call
            related = (
                Related(
                    state.load.facts.path,
                    lc.span.line,
                    lc.span.column,
                    "weights loaded here; no `.eval()` follows",
                ),
            )
        yield Finding(
            call.span,
            message,
            related=related,
            fix=_eval_fix(facts, index, state, call, name),
            artifact=(state.load.artifact or None) if state.load is not None else None,
            severity=severity,
        )


def _layers_of(facts: FileFacts, state: ModuleState, index: ProjectIndex) -> frozenset[str] | None:
    if state.layers is not None:
        return state.layers
    if not state.cls:
        return None
    return mode_layers(state.cls_facts or facts, state.cls, index)
