"""MODE: models run in the wrong mode (training versus inference)."""

from __future__ import annotations

import builtins
from collections.abc import Iterator

from preplint.diagnostics import Edit, Fix, Related, Severity
from preplint.facts import flow
from preplint.facts.artifacts import artifact_events
from preplint.facts.model import Call, FileFacts
from preplint.facts.objects import binding_of, class_kind
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

_BUILTINS = frozenset(dir(builtins))
_KERAS_ROOTS = ("keras", "tensorflow", "tf_keras")


def _is_pytest_function(facts: FileFacts, scope: str) -> bool:
    base = facts.path.replace("\\", "/").rsplit("/", 1)[-1]
    if not (base.startswith("test_") or base.endswith("_test.py") or base == "conftest.py"):
        return False
    return any(fn.name.startswith("test_") for fn in flow.enclosing_functions(facts, scope))


def _module_uses(facts: FileFacts, index: ProjectIndex) -> Iterator[tuple[Call, str]]:
    """Calls that run a module held in a variable (`model(x)`, `self.net(x)`), with the module's name."""
    for call in facts.calls:
        if call.method == "forward" and call.receiver:
            yield call, call.receiver
            continue
        callee = call.callee
        if not callee or call.method == "forward" or callee in _BUILTINS or callee in facts.function_by_qualname or callee in facts.class_by_name:
            continue
        if call.qualname:
            # `from serving import model`: a project module's global, not a library function.
            mod, _, attr = call.qualname.rpartition(".")
            owner = index.module(mod) if mod else None
            if owner is None or attr in owner.function_by_qualname or attr in owner.class_by_name or "." in callee:
                continue
        if callee.startswith("self."):
            cls = flow.enclosing_class(facts, call.scope)
            if cls and f"{cls}.{callee[5:]}" in facts.function_by_qualname:
                continue
        if callee[:1].isupper() or (call.method and call.method[:1].isupper()):
            continue  # a class being built
        yield call, callee


def _inference_reason(facts: FileFacts, call: Call, state: flow.ModuleState, index: ProjectIndex, trained_here: bool) -> str:
    """Why this use of a module is inference, '' when it is (or may be) training."""
    if flow.no_grad_at(facts, call):
        if trained_here and _same_loop_as_training(facts, call, index):
            return ""  # a GAN's generator sampled for the discriminator step: part of training
        return "under `torch.no_grad()`" if any(w in flow.NO_GRAD_CONTEXTS for w in call.withs) else "in a no-grad function"
    if flow.in_training_loop(facts, call, index):
        return ""
    training_scope = call.scope in flow.training_scopes(facts, index)
    named = flow.inference_named_scope(facts, call.scope)
    if named and not training_scope and not _is_pytest_function(facts, call.scope) and not _only_called_for_training(facts, call.scope, index):
        return f"in `{named}`"
    if state.load is not None and not training_scope:
        return "after its weights are loaded"
    return ""


def _same_loop_as_training(facts: FileFacts, call: Call, index: ProjectIndex) -> bool:
    inner = call.loops[-1:] or ()
    return any(t.scope == call.scope and tuple(t.loops[-1:]) == tuple(inner) for t in flow.training_calls(facts, index))


def _only_called_for_training(facts: FileFacts, scope: str, index: ProjectIndex) -> bool:
    """`def predict(model, x): return model(x)` used to compute the training loss."""
    fns = flow.enclosing_functions(facts, scope)
    if not fns:
        return False
    sites = flow.call_sites(facts, fns[-1], index)
    return bool(sites) and all(
        not flow.no_grad_at(owner, c) and flow.in_training_loop(owner, c, index) for owner, c in sites
    )


def _trained_uses(facts: FileFacts, index: ProjectIndex) -> set[tuple[str, str]]:
    """(scope, module name) pairs run with gradients inside a training loop."""
    out: set[tuple[str, str]] = set()
    for call, name in _module_uses(facts, index):
        if not flow.no_grad_at(facts, call) and flow.in_training_loop(facts, call, index):
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


def _eval_fix(facts: FileFacts, state: flow.ModuleState, use: Call, name: str) -> Fix | None:
    load = state.load
    if load is not None and load.facts is facts:
        target = load.name
        where = _statement_start(facts, load.call)
        if not target:
            # `model = torch.load(path)`: the assigned name
            for a in facts.assigns:
                if a.stmt == load.call.stmt and a.op == "=" and load.call.id in a.value.calls and len(a.targets) == 1:
                    target = a.targets[0]
        if where is not None and target:
            _, column, last = where
            text = f"{' ' * (column - 1)}{target}.eval()\n"
            return Fix(f"Call `{target}.eval()` after loading its weights", (Edit(last + 1, 1, last + 1, 1, text),))
        return None
    if load is None:
        for a in facts.assigns:
            if a.stmt == use.stmt and a.op == "=" and use.id in a.value.calls:
                text = f"{' ' * (a.span.column - 1)}{name}.eval()\n"
                return Fix(f"Call `{name}.eval()` before running it", (Edit(a.span.line, 1, a.span.line, 1, text),))
    return None


@rule(
    "MODE001",
    "torch-eval-missing",
    severity="error",
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
def torch_eval_missing(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
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
    if not (facts.uses("torch") or facts.uses("torchvision") or facts.uses("timm")):
        return
    reported: set[tuple[str, str]] = set()
    trained = _trained_uses(facts, index)
    for call, name in _module_uses(facts, index):
        key = (call.scope, name)
        if key in reported:
            continue
        state = flow.module_state(facts, name, call.scope, call.stmt, index)
        if not state.torch or state.stateless or state.mode != "train":
            continue
        reason = _inference_reason(facts, call, state, index, key in trained)
        if not reason:
            continue
        reported.add(key)
        layers = _layers_of(facts, state, index)
        severity: Severity | None = None
        if layers:
            kinds = " and ".join(sorted({"dropout": "Dropout", "batchnorm": "BatchNorm"}[k] for k in layers))
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
            related = (Related(state.load.facts.path, lc.span.line, lc.span.column, "weights loaded here; no `.eval()` follows"),)
        yield Finding(
            call.span,
            message,
            related=related,
            fix=_eval_fix(facts, state, call, name),
            artifact=(state.load.artifact or None) if state.load is not None else None,
            severity=severity,
        )


def _layers_of(facts: FileFacts, state: flow.ModuleState, index: ProjectIndex) -> frozenset[str] | None:
    if not state.cls:
        return None
    return flow.mode_layers(state.cls_facts or facts, state.cls, index)


# --- MODE002 ---------------------------------------------------------------------------------


def _mode_events(facts: FileFacts, index: ProjectIndex) -> list[tuple[Call, str, str]]:
    """(call, module name, 'eval'|'train'|'either') for mode switches, direct or through a helper."""
    out: list[tuple[Call, str, str]] = []
    for call in facts.calls:
        change = flow.mode_change(call)
        if change and call.receiver:
            if call.receiver == "self" and class_kind(facts, flow.enclosing_class(facts, call.scope), index) != "torch-module":
                continue
            out.append((call, call.receiver, change))
            continue
        if call.args and not call.method or (call.callee.startswith("self.") and call.callee.count(".") == 1):
            target = flow.resolve_function(facts, call, index)
            if target is None:
                continue
            owner, fn = target
            for param in fn.params:
                value = flow.argument_for(call, fn, param)
                if value is None or not value.name:
                    continue
                changes = {flow.mode_change(c) for c in owner.calls if c.scope == fn.qualname and _related_name(c.receiver, param)} - {""}
                if changes:
                    out.append((call, value.name, "either" if len(changes) > 1 else changes.pop()))
    return out


def _related_name(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


@rule(
    "MODE002",
    "torch-train-not-restored",
    severity="error",
    positives=[
        """
import torch
from torch import nn

model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3), nn.Linear(8, 1))
opt = torch.optim.Adam(model.parameters())
model.train()
for epoch in range(10):
    for xb, yb in loader:
        opt.zero_grad()
        nn.functional.mse_loss(model(xb), yb).backward()
        opt.step()
    model.eval()  # expect: MODE002
    with torch.no_grad():
        print(model(x_val).mean())
""",
        """
import torch

def evaluate(model, loader):
    model.eval()
    with torch.no_grad():
        return sum(model(x).sum() for x in loader)

def fit(model, optimizer, train_loader, val_loader, epochs):
    for epoch in range(epochs):
        for xb, yb in train_loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            optimizer.step()
        score = evaluate(model, val_loader)  # expect: MODE002
""",
    ],
    negatives=[
        """
import torch
from torch import nn

model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3), nn.Linear(8, 1))
opt = torch.optim.Adam(model.parameters())
for epoch in range(10):
    model.train()
    for xb, yb in loader:
        opt.zero_grad()
        nn.functional.mse_loss(model(xb), yb).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        print(model(x_val).mean())
""",
        """
import torch

def train_one_epoch(model, loader, optimizer):
    model.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(xb), yb).backward()
        optimizer.step()

def fit(model, optimizer, train_loader, val_loader, epochs, scheduler):
    for epoch in range(epochs):
        train_one_epoch(model, train_loader, optimizer)
        model.eval()
        with torch.no_grad():
            acc = sum((model(x).argmax(1) == y).sum() for x, y in val_loader)
        scheduler.step()
""",
    ],
)
def torch_train_not_restored(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags `model.eval()` (directly, or through a helper such as `evaluate(model, ...)`) inside a
    training loop when `model.train()` is not called again before the loop's next training
    step (`loss.backward()`, `optimizer.step()`, or a helper that trains).

    Why is this bad?:
    Validation inside the epoch loop switches the model to eval mode. If nothing switches it
    back, every epoch after the first trains with Dropout off and BatchNorm frozen on its
    running statistics: the model trains differently from what the code says, usually worse.

    Example:
    ```python
    model.train()
    for epoch in range(epochs):
        for xb, yb in loader:
            ...
            loss.backward()
            optimizer.step()
        model.eval()
        validate(model)
    ```

    Use instead:
    ```python
    for epoch in range(epochs):
        model.train()
        for xb, yb in loader:
            ...
        model.eval()
        validate(model)
    ```

    References:
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.train
    """
    if not (facts.uses("torch") or facts.uses("lightning")):
        return
    training = flow.training_calls(facts, index)
    if not training:
        return
    events = _mode_events(facts, index)
    reported: set[tuple[int, str]] = set()
    for call, name, change in events:
        if change != "eval" or not call.loops:
            continue
        loop_id = _loop_with_training(call, training)
        if loop_id < 0:
            continue
        loop = facts.loop_by_id[loop_id]
        steps = [t for t in training if t.scope == call.scope and loop_id in t.loops and _trains(facts, index, t, name, loop.stmt_start)]
        if not steps:
            continue
        restores = [c for c, n, ch in events if c.scope == call.scope and loop_id in c.loops and ch in ("train", "either") and _related_name(n, name)]
        if _restored_before_next_step(call, restores, steps):
            continue
        key = (loop_id, name)
        if key in reported:
            continue
        reported.add(key)
        step = steps[0]
        yield Finding(
            call.span,
            f"`{name}` is switched to eval mode inside the training loop and never back: the next epoch trains with "
            f"Dropout off and BatchNorm frozen; call `{name}.train()` at the top of the loop",
            related=(Related(facts.path, step.span.line, step.span.column, "next training step, still in eval mode"),),
        )


def _loop_with_training(call: Call, training: tuple[Call, ...]) -> int:
    """The innermost loop around `call` that also holds a training step."""
    for loop_id in reversed(call.loops):
        if any(t.scope == call.scope and loop_id in t.loops for t in training):
            return loop_id
    return -1


def _trains(facts: FileFacts, index: ProjectIndex, step: Call, name: str, loop_start: int) -> bool:
    """Whether a training step can update `name` (an optimizer over another model's parameters does not)."""
    found = flow.training_steps(facts, index, name, step.scope, loop_start - 1)
    return any(s.stmt == step.stmt for s in found) or flow.resolve_function(facts, step, index) is not None


def _restored_before_next_step(evaluated: Call, restores: list[Call], steps: list[Call]) -> bool:
    """Walking the loop body from the eval call, around to its top: does a train() come before a step?"""
    after = [(c.id, "restore") for c in restores if c.id > evaluated.id] + [(s.id, "step") for s in steps if s.id > evaluated.id]
    before = [(c.id, "restore") for c in restores if c.id < evaluated.id] + [(s.id, "step") for s in steps if s.id < evaluated.id]
    for _, what in sorted(after) + sorted(before):
        return what == "restore"
    return True
