"""MODE: models run in the wrong mode (training versus inference)."""

from __future__ import annotations

import builtins
from collections.abc import Iterator

from preplint.analysis.calls import argument_for, call_sites, resolve_function
from preplint.analysis.code_roles import is_framework_source
from preplint.analysis.context import memos
from preplint.analysis.modes import (
    TORCH_MODULE_METHODS,
    ModuleState,
    base_receiver,
    mode_change,
    module_state,
)
from preplint.analysis.module_layers import DROPOUT_FUNCTIONS, _builtin_mode_layers, mode_layers
from preplint.analysis.scopes import (
    NO_GRAD_CONTEXTS,
    enclosing_class,
    enclosing_functions,
    inference_named_scope,
    name_words,
    no_grad_at,
)
from preplint.analysis.training import (
    in_training_loop,
    training_calls,
    training_scopes,
    training_steps,
)
from preplint.diagnostics import Edit, Fix, Related, Severity
from preplint.facts import frameworks as fw
from preplint.facts.artifacts import artifact_events
from preplint.facts.model import Call, ClassDef, FileFacts
from preplint.facts.objects import Binding, binding_of, bindings, class_kind
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

_BUILTINS = frozenset(dir(builtins))
# Methods that are not a sub-module being run (`model.eval()`, `opt.step()`, `x.to(device)`).
_NOT_SUBMODULE = (
    TORCH_MODULE_METHODS
    | fw.SELF_RETURNING_MODULE_METHODS
    | frozenset(
        {
            "step",
            "backward",
            "item",
            "numpy",
            "detach",
            "size",
            "view",
            "reshape",
            "append",
            "extend",
            "predict",
            "fit",
            "format",
            "join",
            "get",
            "update",
            "save",
            "load",
            "read",
            "write",
            "parse_args",
            "add_argument",
            "items",
            "keys",
            "values",
            "softmax",
            "argmax",
            "sum",
            "mean",
        }
    )
)
_KERAS_ROOTS = ("keras", "tensorflow", "tf_keras")


def _is_pytest_function(facts: FileFacts, scope: str) -> bool:
    base = facts.path.replace("\\", "/").rsplit("/", 1)[-1]
    if not (base.startswith("test_") or base.endswith("_test.py") or base == "conftest.py"):
        return False
    return any(fn.name.startswith("test_") for fn in enclosing_functions(facts, scope))


def _module_uses(facts: FileFacts, index: ProjectIndex) -> Iterator[tuple[Call, str]]:
    """Calls that run a module held in a variable (`model(x)`, `self.net(x)`), with the module's name."""
    for call in facts.calls:
        if call.method == "forward" and call.receiver:
            yield call, call.receiver
            continue
        callee = call.callee
        if (
            not callee
            or call.method == "forward"
            or callee in _BUILTINS
            or callee in facts.function_by_qualname
            or callee in facts.class_by_name
        ):
            continue
        if call.qualname:
            # `from serving import model`: a project module's global, not a library function.
            mod, _, attr = call.qualname.rpartition(".")
            owner = index.module(mod) if mod else None
            if (
                owner is None
                or attr in owner.function_by_qualname
                or attr in owner.class_by_name
                or "." in callee
            ):
                continue
        if call.method in _NOT_SUBMODULE:
            continue
        if call.method and call.receiver != "self" and not call.receiver.startswith("self."):
            # `model.encoder(x)`: only on a name known to hold a torch module (not `df.fillna(...)`).
            b = binding_of(facts, call.receiver.split(".")[0], call.scope, call.stmt, index)
            if b is None or b.kind not in ("torch-module", "torch-loaded", "hf-model"):
                continue
        cls = enclosing_class(facts, call.scope)
        if (
            callee.startswith("self.")
            and cls
            and f"{cls}.{callee[5:]}" in facts.function_by_qualname
        ):
            continue
        if cls and _module_like_class(facts, cls, index):
            continue  # a sub-module run inside its parent module: the parent's mode decides
        if callee[:1].isupper() or (call.method and call.method[:1].isupper()):
            continue  # a class being built
        yield call, callee


_MODULE_BASE_SUFFIXES = ("Module", "Model", "ModelMixin", "PreTrainedModel", "Layer", "Block")


def _module_like_class(facts: FileFacts, cls: str, index: ProjectIndex) -> bool:
    """A torch/Keras module class, or one from a model library (`PreTrainedModel`, `ModelMixin`) or with a `forward`."""
    memo = memos(facts, index).module_like_classes
    cached = memo.get(cls)
    if cached is not None:
        return cached
    cdef = facts.class_by_name.get(cls.rsplit(".", 1)[-1])
    result = class_kind(facts, cls, index) is not None or (
        cdef is not None
        and (
            "forward" in cdef.methods
            or any(
                b.startswith(("torch.", "transformers.", "diffusers.", "timm.", "keras."))
                or (
                    b.endswith(_MODULE_BASE_SUFFIXES)
                    and not b.startswith(("pydantic", "sqlalchemy", "django", "peewee"))
                )
                for b in cdef.bases
            )
        )
    )
    memo[cls] = result
    return result


def _inference_reason(
    facts: FileFacts, call: Call, state: ModuleState, index: ProjectIndex, trained_here: bool
) -> str:
    """Why this use of a module is inference, '' when it is (or may be) training."""
    if _is_pytest_function(facts, call.scope) or _in_lightning_module(facts, call.scope, index):
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
        and not _is_pytest_function(facts, call.scope)
        and not _only_called_for_training(facts, call.scope, index)
    ):
        return f"in `{named}`"
    if state.load is not None and not training_scope:
        return "after its weights are loaded"
    return ""


def _in_lightning_module(facts: FileFacts, scope: str, index: ProjectIndex) -> bool:
    """Lightning switches modes itself around validation_step / test_step / predict_step."""
    cls = enclosing_class(facts, scope)
    seen: set[str] = set()
    while cls and cls not in seen:
        seen.add(cls)
        found = index.class_for(facts, cls)
        if found is None:
            return False
        owner, cdef = found
        if any(b.startswith("lightning.") for b in cdef.bases):
            return True
        local = [b for b in cdef.bases if "." not in b]
        if not local:
            return False
        facts, cls = owner, local[0]
    return False


def _same_loop_as_training(facts: FileFacts, call: Call, index: ProjectIndex) -> bool:
    inner = call.loops[-1:] or ()
    return any(
        t.scope == call.scope and tuple(t.loops[-1:]) == tuple(inner)
        for t in training_calls(facts, index)
    )


def _only_called_for_training(facts: FileFacts, scope: str, index: ProjectIndex) -> bool:
    """`def predict(model, x): return model(x)` used to compute the training loss."""
    fns = enclosing_functions(facts, scope)
    if not fns:
        return False
    sites = call_sites(facts, fns[-1], index)
    return bool(sites) and all(
        not no_grad_at(owner, c) and in_training_loop(owner, c, index) for owner, c in sites
    )


def _trained_uses(facts: FileFacts, index: ProjectIndex) -> set[tuple[str, str]]:
    """(scope, module name) pairs run with gradients inside a training loop."""
    out: set[tuple[str, str]] = set()
    for call, name in _module_uses(facts, index):
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


# --- MODE002 ---------------------------------------------------------------------------------


def _mode_events(facts: FileFacts, index: ProjectIndex) -> list[tuple[Call, str, str, Call | None]]:
    """(call, module name, 'eval'|'train'|'either', the switch inside a helper or None) for mode
    switches in this file: direct (`model.eval()`, `model.to(d).eval()`), through a project helper
    given the model (`validate(model)`), or through a method that switches `self.model`."""
    out: list[tuple[Call, str, str, Call | None]] = []
    for call in facts.calls:
        change = mode_change(call)
        receiver = base_receiver(facts, call) if change else ""
        if change and receiver:
            if (
                receiver == "self"
                and class_kind(facts, enclosing_class(facts, call.scope), index) != "torch-module"
            ):
                continue
            out.append((call, receiver, change, None))
            continue
        if change or not call.callee:
            continue
        self_method = call.callee.startswith("self.") and call.callee.count(".") == 1
        if not (call.args and not call.method) and not self_method:
            continue
        target = resolve_function(facts, call, index)
        if target is None:
            continue
        owner, fn = target
        inner_calls = [c for c in owner.calls if c.scope == fn.qualname and mode_change(c)]
        if not inner_calls:
            continue
        for param in fn.params:
            value = argument_for(call, fn, param)
            if value is None or not value.name:
                continue
            inner = [c for c in inner_calls if _related_name(base_receiver(owner, c), param)]
            changes = {mode_change(c) for c in inner}
            if changes:
                switch = inner[0] if owner is facts else None
                out.append(
                    (call, value.name, "either" if len(changes) > 1 else changes.pop(), switch)
                )
        if self_method:
            by_attr: dict[str, list[Call]] = {}
            for c in inner_calls:
                receiver = base_receiver(owner, c)
                if receiver.startswith("self."):
                    by_attr.setdefault(receiver, []).append(c)
            for receiver, inner in by_attr.items():
                changes = {mode_change(c) for c in inner}
                out.append(
                    (call, receiver, "either" if len(changes) > 1 else changes.pop(), inner[0])
                )
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
    model.eval()  # expect: MODE002
    with torch.no_grad():
        return sum(model(x).sum() for x in loader)

def fit(model, optimizer, train_loader, val_loader, epochs):
    for epoch in range(epochs):
        for xb, yb in train_loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            optimizer.step()
        score = evaluate(model, val_loader)
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
    training = training_calls(facts, index)
    if not training:
        return
    events = _mode_events(facts, index)
    reported: set[tuple[int, str]] = set()
    for call, name, change, inner in events:
        if change != "eval" or not call.loops:
            continue
        loop_id = _loop_with_training(call, training)
        if loop_id < 0:
            continue
        loop = facts.loop_by_id[loop_id]
        steps = [
            t
            for t in training
            if t.scope == call.scope
            and loop_id in t.loops
            and _trains(facts, index, t, name, loop_id, loop.stmt_start)
        ]
        if not steps:
            continue
        restores = [
            c
            for c, n, ch, _ in events
            if c.scope == call.scope
            and loop_id in c.loops
            and ch in ("train", "either")
            and _related_name(n, name)
        ]
        if any(r.stmt == call.stmt for r in restores) or _restored_before_next_step(
            call, restores, steps
        ):
            # `model.train() if training else model.eval()`: the mode follows a flag
            continue
        # A helper's `model.eval()` (in this file) is where the mode is switched: report it there.
        where = inner if inner is not None else call
        key = (where.id, name)
        if key in reported:
            continue
        reported.add(key)
        step = steps[0]
        related = [
            Related(
                facts.path,
                step.span.line,
                step.span.column,
                "next training step, still in eval mode",
            )
        ]
        if inner is not None:
            related.insert(
                0,
                Related(
                    facts.path,
                    call.span.line,
                    call.span.column,
                    "called here, inside the training loop",
                ),
            )
        yield Finding(
            where.span,
            f"`{name}` is switched to eval mode inside the training loop and never back: the next epoch trains with "
            f"Dropout off and BatchNorm frozen; call `{name}.train()` at the top of the loop",
            related=tuple(related),
        )


def _loop_with_training(call: Call, training: tuple[Call, ...]) -> int:
    """The innermost loop around `call` that also holds a training step."""
    for loop_id in reversed(call.loops):
        if any(t.scope == call.scope and loop_id in t.loops for t in training):
            return loop_id
    return -1


def _trains(
    facts: FileFacts, index: ProjectIndex, step: Call, name: str, loop_id: int, loop_start: int
) -> bool:
    """Whether a training step in the loop can update `name`: its optimizer covers it, the loop runs it
    with gradients, or the step is a training helper given it (a frozen teacher is none of these)."""
    found = training_steps(facts, index, name, step.scope, loop_start - 1)
    if any(s.stmt == step.stmt for s in found):
        return True
    if resolve_function(facts, step, index) is not None:
        return (
            any(_related_name(n, name) for a in step.args for n in a.value.names) or not step.args
        )
    return any(
        c.scope == step.scope
        and loop_id in c.loops
        and _related_name(used, name)
        and not no_grad_at(facts, c)
        for c, used in _module_uses(facts, index)
    )


def _restored_before_next_step(evaluated: Call, restores: list[Call], steps: list[Call]) -> bool:
    """Walking the loop body from the eval call, around to its top: does a train() come before a step?"""
    after = [(c.id, "restore") for c in restores if c.id > evaluated.id] + [
        (s.id, "step") for s in steps if s.id > evaluated.id
    ]
    before = [(c.id, "restore") for c in restores if c.id < evaluated.id] + [
        (s.id, "step") for s in steps if s.id < evaluated.id
    ]
    for _, what in sorted(after) + sorted(before):
        return what == "restore"
    return True


# --- MODE003 ---------------------------------------------------------------------------------

_MC_WORDS = frozenset(
    {"mc", "monte", "carlo", "uncertainty", "bayes", "bayesian", "mcdropout", "stochastic"}
)
_GRADIENT_TAPES = frozenset({"tensorflow.GradientTape", "tensorflow.autograd.GradientTape"})


def _keras_loaded(facts: FileFacts, index: ProjectIndex, name: str, call: Call) -> str | None:
    """The artifact path when `name` holds a Keras model loaded from a file (None when not loaded)."""
    root = name.split(".")[0]
    for event in artifact_events(facts, index):
        if (
            event.action == "load"
            and event.api in ("keras-load", "jit-load", "torch-load")
            and event.obj in (name, root)
        ):
            return event.path
    b = binding_of(facts, root, call.scope, call.stmt, index)
    if b is not None and b.origin == "loaded" and b.kind == "keras-model":
        return ""
    return None


def _mc_dropout(facts: FileFacts, call: Call) -> bool:
    names = [fn.name for fn in enclosing_functions(facts, call.scope)]
    names += [t for a in facts.assigns if a.stmt == call.stmt for t in a.targets]
    return any(w in _MC_WORDS for n in names for w in name_words(n))


@rule(
    "MODE003",
    "training-flag-at-inference",
    severity="error",
    positives=[
        """
import tensorflow as tf

model = tf.keras.models.load_model("models/clf.keras")

def predict(batch):
    return model(batch, training=True).numpy()  # expect: MODE003
""",
        """
import torch
import torch.nn.functional as F
from torch import nn

class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 2)

    def forward(self, x):
        return self.fc(F.dropout(x, p=0.5))  # expect: MODE003
""",
    ],
    negatives=[
        """
import tensorflow as tf

@tf.function
def train_step(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.keras.losses.mse(y, model(x, training=True)))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return loss
""",
        """
import torch.nn.functional as F
from torch import nn

class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 2)

    def forward(self, x):
        return self.fc(F.dropout(x, p=0.5, training=self.training))
""",
    ],
)
def training_flag_at_inference(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags a Keras model or layer called with `training=True` in an inference path (a loaded
    model, a predict/evaluate/serve function, outside any `GradientTape` and training step), and,
    in PyTorch, `F.dropout(x, p)` inside a module without `training=self.training`.

    Why is this bad?:
    `training=True` makes Dropout drop units and BatchNorm use the batch's statistics, so
    predictions are random and depend on the batch. `F.dropout` defaults to `training=True`:
    unlike `nn.Dropout`, it ignores `model.eval()` and keeps dropping at inference.

    Example:
    ```python
    probs = model(batch, training=True)

    def forward(self, x):
        return self.fc(F.dropout(x, p=0.5))
    ```

    Use instead:
    ```python
    probs = model(batch, training=False)

    def forward(self, x):
        return self.fc(F.dropout(x, p=0.5, training=self.training))
    ```

    References:
    - https://keras.io/getting_started/faq/#whats-the-difference-between-the-training-argument-in-call-and-the-trainable-attribute
    - https://pytorch.org/docs/stable/generated/torch.nn.functional.dropout.html
    """
    keras = any(facts.uses(r) for r in _KERAS_ROOTS)
    torch = facts.uses("torch")
    training = training_scopes(facts, index) if keras else frozenset()
    for call in facts.calls:
        if torch and call.qualname in DROPOUT_FUNCTIONS or call.qualname == "torch.dropout":
            flag = (
                call.arg(2, "training")
                if call.qualname != "torch.dropout"
                else call.arg(2, "train")
            )
            if flag is not None:
                continue  # an explicit `training=` (even True, e.g. MC dropout) is a decision, not an oversight
            if flag is None and any(a.star == "**" for a in call.args):
                continue
            cls = enclosing_class(facts, call.scope)
            if not cls or class_kind(facts, cls, index) != "torch-module":
                continue
            yield Finding(
                call.span,
                f"`{call.callee}` inside `{cls}` drops units even after `model.eval()` (its `training` defaults to True); "
                "pass `training=self.training` or use `nn.Dropout`",
            )
            continue
        if (
            not keras
            or call.kwarg_const("training") is not True
            or (call.qualname and not call.qualname.startswith(_KERAS_ROOTS))
        ):
            continue
        if (
            any(w in _GRADIENT_TAPES for w in call.withs)
            or call.scope in training
            or in_training_loop(facts, call, index)
        ):
            continue
        if _is_pytest_function(facts, call.scope):
            continue
        if _mc_dropout(facts, call):
            continue
        name = call.receiver if call.method in ("call", "__call__") else call.callee
        loaded = _keras_loaded(facts, index, name, call) if name else None
        named = inference_named_scope(facts, call.scope)
        if loaded is None and not named:
            continue
        where = "a loaded model" if loaded is not None else f"`{named}`"
        yield Finding(
            call.span,
            f"`training=True` in {where}: Dropout and BatchNorm run as in training, so predictions are random and batch-dependent",
            artifact=loaded or None,
        )


# --- MODE004 ---------------------------------------------------------------------------------


def _int_value(
    facts: FileFacts, index: ProjectIndex, call: Call, position: int | None, keyword: str
) -> int | None:
    arg = call.arg(position, keyword)
    if arg is None:
        return None
    value = arg.value.const
    if value is None and arg.value.name:
        value = index.constant(facts, arg.value.name)
        if value is None:
            assign = facts.reaching_assign(arg.value.name, call.scope, call.stmt)
            value = assign.value.const if assign is not None and assign.op == "=" else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _file_has_batchnorm(facts: FileFacts, index: ProjectIndex, keras: bool) -> bool:
    files = [facts]
    for qual in facts.imports.values():
        owner = index.module(qual) or index.module(qual.rpartition(".")[0])
        if owner is not None and owner is not facts:
            files.append(owner)
    for f in files:
        for c in f.calls:
            leaf = c.qualname.rsplit(".", 1)[-1]
            if (
                keras
                and leaf in ("BatchNormalization", "SyncBatchNormalization")
                and c.qualname.startswith("keras")
            ):
                return True
            if not keras and c.qualname.startswith("torch.nn.") and "BatchNorm" in leaf:
                return True
            if (
                not keras
                and c.qualname.startswith("torchvision.models.")
                and _builtin_mode_layers(c.qualname)
            ):
                return True
    return False


_BATCHNORM_LEAVES = ("BatchNormalization", "SyncBatchNormalization")


def _keras_model_batchnorm(facts: FileFacts, index: ProjectIndex, fit: Call, b: Binding) -> bool:
    """Whether the Keras model that `fit` trains holds BatchNormalization: a layer built where the
    model is built or fitted, in the model's project class, or in project functions and classes
    those call (two levels). A model whose layers cannot be seen (loaded, a library architecture)
    falls back to any BatchNormalization in the file and the project modules it imports."""
    local_cls = _project_class(facts, index, b.cls) if b.cls and "." not in b.cls else None
    if b.origin != "constructed" or (
        local_cls is None and not b.cls.endswith((".Sequential", ".Model"))
    ):
        return _file_has_batchnorm(facts, index, keras=True)
    # (file, exact scope or None, first statement, last statement)
    regions: list[tuple[FileFacts, str | None, int, int]] = [
        (facts, b.scope, 0, -1),
        (facts, fit.scope, 0, -1),
    ]
    if local_cls is not None:
        regions += _class_regions(index, *local_cls)
    seen: set[tuple[str, str | None, int]] = set()
    for _ in range(3):
        following: list[tuple[FileFacts, str | None, int, int]] = []
        for owner, scope, lo, hi in regions:
            if (owner.path, scope, lo) in seen:
                continue
            seen.add((owner.path, scope, lo))
            for c in owner.calls:
                if (c.scope != scope) if scope is not None else not (lo <= c.stmt <= hi):
                    continue
                if c.qualname.startswith("keras") and c.qualname.endswith(_BATCHNORM_LEAVES):
                    return True
                if not c.callee or c.qualname.startswith(_KERAS_ROOTS):
                    continue
                cls = _project_class(owner, index, c.callee) if not c.method else None
                if cls is not None:
                    following += _class_regions(index, *cls)
                    continue
                target = resolve_function(owner, c, index)
                if target is not None:
                    following.append((target[0], None, target[1].stmt_start, target[1].stmt_end))
        regions = following
    return False


def _project_class(
    facts: FileFacts, index: ProjectIndex, name: str
) -> tuple[FileFacts, ClassDef] | None:
    found = index.class_for(facts, name)
    if found is not None:
        return found
    cdef = facts.class_by_name.get(name)
    return (facts, cdef) if cdef is not None else None


def _class_regions(
    index: ProjectIndex, owner: FileFacts, cdef: ClassDef, depth: int = 0
) -> list[tuple[FileFacts, str | None, int, int]]:
    """The statements of a project class and of its project base classes."""
    out: list[tuple[FileFacts, str | None, int, int]] = [
        (owner, None, cdef.stmt_start, cdef.stmt_end)
    ]
    for base in cdef.bases:
        found = _project_class(owner, index, base) if "." not in base and depth < 3 else None
        if found is not None and found[1] is not cdef:
            out += _class_regions(index, *found, depth=depth + 1)
    return out


def _loader_trains(facts: FileFacts, index: ProjectIndex, name: str, scope: str) -> Call | None:
    """A training step fed by loader `name`: a loop over it that trains, or a training helper given it."""
    training = training_calls(facts, index)
    for a in facts.assigns:
        if a.op == "for" and a.scope == scope and name in a.value.names:
            loop = next(
                (lp for lp in facts.loops if lp.scope == scope and lp.stmt_start == a.stmt), None
            )
            if loop is None:
                continue
            step = next((t for t in training if loop.id in t.loops), None)
            if step is not None:
                return step
    for t in training:
        if t.scope == scope and any(name in arg.value.names for arg in t.args):
            return t
    return None


@rule(
    "MODE004",
    "batchnorm-tiny-batches",
    severity="warning",
    positives=[
        """
import torch
from torch import nn
from torch.utils.data import DataLoader

model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
loader = DataLoader(dataset, batch_size=1, shuffle=True)  # expect: MODE004
for xb, yb in loader:
    opt.zero_grad()
    nn.functional.mse_loss(model(xb), yb).backward()
    opt.step()
""",
        """
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(32), keras.layers.BatchNormalization(), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, epochs=5, batch_size=1)  # expect: MODE004
""",
    ],
    negatives=[
        """
import torch
from torch import nn
from torch.utils.data import DataLoader

model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
loader = DataLoader(dataset, batch_size=64, shuffle=True)
for xb, yb in loader:
    opt.zero_grad()
    nn.functional.mse_loss(model(xb), yb).backward()
    opt.step()
test_loader = DataLoader(test_set, batch_size=1)
""",
        """
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(32), keras.layers.Dropout(0.2), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, epochs=5, batch_size=1)
""",
        """
import keras

def build_normed():
    return keras.Sequential([keras.layers.Dense(8), keras.layers.BatchNormalization()])

def check_step_counter(x, y):
    # the file builds BatchNorm elsewhere, but this model has none: one sample per step is fine
    class Counting(keras.Model):
        def __init__(self):
            super().__init__()
            self.proj = keras.layers.Dense(2)

        def call(self, x):
            return self.proj(x)

    model = Counting()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=1, epochs=2)
""",
    ],
)
def batchnorm_tiny_batches(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags training with batches of one sample when the model has BatchNorm layers: Keras
    `fit(..., batch_size=1)` (or a `tf.data` pipeline batched by 1), or a `DataLoader` with
    `batch_size=1` (the default) that feeds a training loop.

    Why is this bad?:
    BatchNorm normalises with the statistics of the current batch. With one sample the batch
    variance is zero (PyTorch raises for 1-D features) and the running statistics it learns
    are noise, so the model that is saved behaves differently at inference.

    Example:
    ```python
    loader = DataLoader(train_set, batch_size=1, shuffle=True)
    ```

    Use instead:
    ```python
    loader = DataLoader(train_set, batch_size=32, shuffle=True, drop_last=True)
    ```

    References:
    - https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm1d.html
    - https://keras.io/api/layers/normalization_layers/batch_normalization/
    """
    keras = any(facts.uses(r) for r in _KERAS_ROOTS)
    torch = facts.uses("torch")
    if keras:
        for call in facts.calls:
            if call.method != "fit" or not call.receiver:
                continue
            b = binding_of(facts, call.receiver.split(".")[0], call.scope, call.stmt, index)
            if b is None or b.kind != "keras-model":
                continue
            size = _int_value(facts, index, call, None, "batch_size")
            if size is None:
                first = call.arg(0, "x")
                if first is not None and first.value.name:
                    size = _dataset_batch(facts, first.value.name, call)
            if size == 1 and _keras_model_batchnorm(facts, index, call, b):
                yield Finding(
                    call.span,
                    "the model has BatchNormalization and trains with batches of one sample: its batch statistics are meaningless",
                )
    if torch:
        for call in facts.calls_named("torch.utils.data.DataLoader"):
            if call.arg(keyword="batch_sampler") is not None or any(a.star for a in call.args):
                continue
            has_size = call.arg(1, "batch_size") is not None
            size = _int_value(facts, index, call, 1, "batch_size") if has_size else 1
            if size != 1:
                continue
            target = next(
                (
                    a.targets[0]
                    for a in facts.assigns
                    if a.value.call == call.id and len(a.targets) == 1
                ),
                "",
            )
            if not target:
                continue
            step = _loader_trains(facts, index, target, call.scope)
            if step is None or not _file_has_batchnorm(facts, index, keras=False):
                continue
            what = "batch_size=1" if has_size else "the default batch_size=1"
            yield Finding(
                call.span,
                f"`{target}` feeds training with {what} and the model has BatchNorm: batch statistics of one sample are meaningless",
                related=(
                    Related(
                        facts.path, step.span.line, step.span.column, "training step fed by it"
                    ),
                ),
            )


def _dataset_batch(facts: FileFacts, name: str, call: Call) -> int | None:
    """`ds = ds.batch(1)` before `model.fit(ds)`."""
    assign = facts.reaching_assign(name, call.scope, call.stmt)
    if assign is None or assign.value.kind != "call":
        return None
    for cid in assign.value.calls:
        inner = facts.call_by_id.get(cid)
        if inner is not None and inner.method == "batch":
            arg = inner.arg(0, "batch_size")
            return arg.value.const if arg is not None and isinstance(arg.value.const, int) else None
    return None


# --- MODE005 ---------------------------------------------------------------------------------


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
    ],
    negatives=[
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
    ],
)
def grad_tracking_at_inference(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
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
    training = training_scopes(facts, index)
    for call, name in _module_uses(facts, index):
        key = (call.scope, name)
        if key in reported or no_grad_at(facts, call) or call.scope in training or frozen_any:
            continue
        if (
            in_training_loop(facts, call, index)
            or _is_pytest_function(facts, call.scope)
            or _in_lightning_module(facts, call.scope, index)
        ):
            continue
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
        named = inference_named_scope(facts, call.scope)
        if state.assumed and not named:
            continue
        if not (
            state.load is not None
            or state.mode == "eval"
            or (named and not _only_called_for_training(facts, call.scope, index))
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


# --- MODE006 ---------------------------------------------------------------------------------

# Private attributes and methods people poke to change how a Keras/TF/torch model runs.
_KNOWN_PRIVATE = frozenset(
    {
        "_per_input_call_tf_function",
        "_make_predict_function",
        "_make_train_function",
        "_make_test_function",
        "_predict_function",
        "_train_function",
        "_experimental_run_tf_function",
        "_run_eagerly",
        "_compile_was_called",
        "_is_compiled",
        "_trainable",
        "_jit_compile",
        "_steps_per_execution",
        "_autocast",
        "_dtype_policy",
        "_compute_dtype",
        "_built",
        "_inbound_nodes",
        "_outbound_nodes",
        "_layers",
        "_self_tracked_trackables",
        "_distribution_strategy",
        "_set_inputs",
        "_is_graph_network",
        "_expects_training_arg",
        "_expects_mask_arg",
        "_supports_masking",
        "_trainable_weights",
        "_non_trainable_weights",
        "_build_input_shape",
        "_saved_model_inputs_spec",
        "_modules",
        "_parameters",
        "_buffers",
        "_forward_hooks",
        "_forward_pre_hooks",
        "_backward_hooks",
        "_non_persistent_buffers_set",
        "_version",
        "_is_full_backward_hook",
    }
)
_DOCUMENTED_PRIVATE_NAMESPACES = (
    "torch._dynamo.config",
    "torch._inductor.config",
    "torch._functorch.config",
    "torch._logging",
)
_FRAMEWORK_ROOTS = ("tensorflow", "keras", "torch", "tf_keras")
_MODEL_KINDS = frozenset({"keras-model", "torch-module", "hf-model", "torch-loaded"})
# Annotations that make a parameter a framework model or layer (`net: nn.Module`).
_FRAMEWORK_CLASS_PREFIXES = (
    "torch.nn.",
    "keras.models.",
    "keras.layers.",
    "keras.Model",
    "keras.Layer",
    "lightning.",
)


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def _framework_object(
    facts: FileFacts, index: ProjectIndex, base: str, scope: str, stmt: int
) -> bool:
    """Whether a dotted name holds a framework model or layer (not the user's own `self`): built
    or loaded with a known API, an attribute set so in the class's methods (`self.model =
    torch.jit.load(...)`), a parameter annotated with a framework class (`net: nn.Module`), or a
    loop variable over `model.layers` / `model.modules()`."""
    if not base or base == "self":
        return False
    resolved = facts.resolve(base)
    if resolved.startswith(_FRAMEWORK_ROOTS):
        return True
    parts = base.split(".")
    root = parts[0]
    if root == "self":
        cls = enclosing_class(facts, scope)
        owner = f"self.{parts[1]}"
        return bool(cls) and any(
            b.name == owner and b.kind in _MODEL_KINDS and enclosing_class(facts, b.scope) == cls
            for b in bindings(facts, index)
        )
    b = binding_of(facts, root, scope, stmt, index)
    if b is not None and b.kind in _MODEL_KINDS:
        # ... unless a later assignment the bindings do not know replaced it
        # (`clone = module.__class__.__new__(module.__class__)` after `clone = nn.ModuleList()`).
        last = facts.reaching_assign(root, scope, stmt)
        return last is None or last.stmt == b.stmt
    for fn in enclosing_functions(facts, scope)[:1]:
        if root in fn.params and len(fn.annotations) == len(fn.params):
            note = fn.annotations[fn.params.index(root)]
            if note and (
                facts.resolve(note).startswith(_FRAMEWORK_CLASS_PREFIXES)
                or class_kind(facts, note, index) is not None
            ):
                return True
    # `for layer in model.layers:` / `for m in model.modules():`
    for a in facts.assigns:
        if a.op == "for" and root in a.targets and a.scope == scope and a.stmt <= stmt:
            text = a.value.text
            if text.endswith(
                (".layers", ".submodules", ".modules()", ".children()", ".named_modules()")
            ):
                return True
    return False


@rule(
    "MODE006",
    "private-framework-api",
    severity="warning",
    positives=[
        """
import tensorflow as tf

model = tf.keras.models.load_model("clf.keras")
for layer in model.layers:
    layer._per_input_call_tf_function = True  # expect: MODE006
model._make_predict_function()  # expect: MODE006
""",
        """
from collections import OrderedDict

import torch
from torch import nn

def strip_hooks(net: nn.Module) -> None:
    for sub in net.modules():
        sub._forward_pre_hooks = OrderedDict()  # expect: MODE006

class Runner:
    def __init__(self, path):
        self.model = torch.jit.load(path)
        self.model._forward_hooks = OrderedDict()  # expect: MODE006
""",
    ],
    negatives=[
        """
import torch

# process-wide switches of the TorchScript executor: no model or layer is touched
torch._C._jit_set_profiling_executor(False)
torch._C._jit_override_can_fuse_on_gpu(True)
model = torch.jit.load("model.pt")
""",
        """
import torch

class ScaledTensor(torch.Tensor):
    @staticmethod
    def __new__(cls, data, scale):
        # the documented way to build a tensor subclass
        out = torch.Tensor._make_subclass(cls, data, data.requires_grad)
        out.scale = scale
        return out
""",
        """
import torch
from torch import nn

def rebuild(module: nn.Module, wrap):
    if isinstance(module, nn.ModuleList):
        clone = nn.ModuleList(wrap(m) for m in module)
    else:
        # a fresh, uninitialised copy whose child registry is rebuilt through `add_module`:
        # nothing known to be a framework model is patched
        clone = object.__new__(type(module))
        clone.__dict__.update(module.__dict__)
        clone._modules = {}
        for name, child in module.named_children():
            clone.add_module(name, wrap(child))
    return clone
""",
        """
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self._hidden = 32
        self.fc = nn.Linear(8, self._hidden)
""",
        """
import torch

torch._dynamo.config.cache_size_limit = 64
model = torch.compile(torch.nn.Linear(4, 2))
""",
    ],
)
def private_framework_api(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags code that sets a private framework attribute on a model, layer or module (or calls
    such a private method on it) to change how it runs (`layer._per_input_call_tf_function =
    True`, `module._forward_hooks = OrderedDict()`, `model._make_predict_function()`), and
    writes into a framework's private namespace (`tf.keras.backend._SESSION = ...`). Only
    objects known to be a framework model or layer count: one built, loaded, annotated as
    such or taken from `model.layers` / `model.modules()`. Process-wide private switches
    (`torch._C._jit_set_profiling_executor(False)`) and documented idioms such as
    `torch.Tensor._make_subclass` in a tensor subclass are not reported.

    Why is this bad?:
    Private names are not part of the framework's API: they change meaning or disappear in a
    minor release, and the model then runs differently (or not at all) without any error
    pointing at the cause.

    Example:
    ```python
    for layer in model.layers:
        layer._per_input_call_tf_function = True
    ```

    Use instead:
    ```python
    # Use the public switch for the behaviour (`model.compile(jit_compile=...)`,
    # `run_eagerly=`, `tf.function`) or pin the framework version this depends on.
    ```

    References:
    - https://www.tensorflow.org/guide/versions#what_is_covered
    - https://pytorch.org/docs/stable/notes/serialization.html
    """
    if not any(facts.uses(r) for r in _FRAMEWORK_ROOTS):
        return
    if is_framework_source(facts):
        return  # its internals are its own to touch
    message = "sets a private framework attribute: it can change or vanish in any release"
    for a in facts.assigns:
        if a.op not in ("=", "AddAssign"):
            continue
        for target in a.targets:
            base, _, attr = target.rpartition(".")
            if not base:
                continue
            resolved = facts.resolve(target)
            if resolved.startswith(_DOCUMENTED_PRIVATE_NAMESPACES):
                continue
            # `K._SESSION.session = ...`, `tf.keras.backend._LOCAL = ...`: a write into a private namespace.
            if resolved.startswith(_FRAMEWORK_ROOTS) and any(
                _private(p) for p in resolved.split(".")
            ):
                yield Finding(a.span, f"`{target}` {message}")
                break
            # `layer._per_input_call_tf_function = True`: a known private attribute of an object known to be a
            # model or layer. The user's own `self._x`, objects the facts cannot tie to a framework class and
            # private names the framework does not define are left alone.
            if attr in _KNOWN_PRIVATE and _framework_object(facts, index, base, a.scope, a.stmt):
                yield Finding(a.span, f"`{target}` {message}")
                break
    for call in facts.calls:
        name = ""
        # `model._make_predict_function()`: a private method of a model or layer. Module-level private
        # functions (`torch._C._jit_set_profiling_executor(False)`, `torch.Tensor._make_subclass(...)`)
        # touch no model and are not what this rule is about.
        if call.method in _KNOWN_PRIVATE and _framework_object(
            facts, index, call.receiver, call.scope, call.stmt
        ):
            name = call.callee or call.method
        elif call.callee == "setattr" and len(call.args) >= 2:
            attr_name = call.args[1].value.const
            if (
                isinstance(attr_name, str)
                and attr_name in _KNOWN_PRIVATE
                and _framework_object(facts, index, call.args[0].value.name, call.scope, call.stmt)
            ):
                name = f"setattr(..., {attr_name!r})"
        if name and not call.qualname.startswith(_DOCUMENTED_PRIVATE_NAMESPACES):
            yield Finding(
                call.span,
                f"`{name}` is a private framework API: it can change or vanish in any release",
            )
