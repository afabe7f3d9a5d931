"""MODE002 (torch-train-not-restored): Flags `model.eval()` (directly, or through a helper such as `evaluate(model, ...)`) inside a training loop when `model.train()` is not called again before the loop's next training step (`loss.backward()`, `optimizer.step()`, or a helper that trains)."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.calls import argument_for, resolve_function
from preplint.analysis.context import FileContext
from preplint.analysis.modes import base_receiver, mode_change, module_state
from preplint.analysis.module_layers import state_mode_layers
from preplint.analysis.module_use import module_uses
from preplint.analysis.objects import class_kind
from preplint.analysis.scopes import enclosing_class, no_grad_at
from preplint.analysis.training import training_steps
from preplint.diagnostics import Related, Severity
from preplint.facts.model import Call, FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


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
        # positives-MODE002
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

class Trainer:
    def __init__(self, model, loader, val_loader):
        self.model = model
        self.loader = loader
        self.val_loader = val_loader
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)

    def fit(self, epochs):
        self.model.train()
        for epoch in range(epochs):
            for x, y in self.loader:
                self.optimizer.zero_grad()
                nn.functional.cross_entropy(self.model(x), y).backward()
                self.optimizer.step()
            self.model.eval()  # expect: MODE002
            with torch.no_grad():
                acc = sum((self.model(x).argmax(1) == y).float().mean() for x, y in self.val_loader)
            print(epoch, acc)
""",
        # positives-MODE002
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

model = Net()
opt = torch.optim.Adam(model.parameters())
model.train()
for step, (xb, yb) in enumerate(loader):
    opt.zero_grad()
    nn.functional.cross_entropy(model(xb), yb).backward()
    opt.step()
    if step % 100 == 0:
        model.eval()  # expect: MODE002
        with torch.no_grad():
            print(model(x_val).argmax(1))
""",
        # more_positives-MODE002
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

class Trainer:
    def __init__(self, model, loader, val_loader):
        self.model = model
        self.loader = loader
        self.val_loader = val_loader
        self.opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def validate(self):
        self.model.eval()  # expect: MODE002
        with torch.no_grad():
            return sum(self.model(x).sum() for x, _ in self.val_loader)

    def fit(self, epochs):
        for epoch in range(epochs):
            for x, y in self.loader:
                self.opt.zero_grad()
                nn.functional.cross_entropy(self.model(x), y).backward()
                self.opt.step()
            print(self.validate())
""",
    ],
    negatives=[
        # field_negatives-MODE002: no Dropout or BatchNorm in the model, so the missing train() changes nothing
        """
import torch
import torch.nn as nn

class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.stack = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.stack(x)

def train_step(model, loader, opt):
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

def test_step(model, loader):
    model.eval()
    with torch.inference_mode():
        return sum(nn.functional.cross_entropy(model(x), y).item() for x, y in loader)

mlp = Mlp()
optimizer = torch.optim.SGD(mlp.parameters(), lr=0.1)
for epoch in range(3):
    train_step(mlp, train_loader, optimizer)
    print(test_step(mlp, test_loader))
""",
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
        # negatives-MODE002
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

student = Net()
teacher = Net()
teacher.load_state_dict(torch.load("teacher.pt", weights_only=True))
opt = torch.optim.Adam(student.parameters())
for epoch in range(3):
    teacher.eval()
    for x, y in loader:
        with torch.no_grad():
            soft = teacher(x).softmax(-1)
        loss = nn.functional.kl_div(student(x).log_softmax(-1), soft, reduction="batchmean")
        opt.zero_grad()
        loss.backward()
        opt.step()
""",
        # negatives-MODE002
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

model = Net()
opt = torch.optim.Adam(model.parameters())
sched = torch.optim.lr_scheduler.StepLR(opt, 10)
for epoch in range(20):
    for phase in ("train", "val"):
        model.train(phase == "train")
        for x, y in loaders[phase]:
            with torch.set_grad_enabled(phase == "train"):
                loss = nn.functional.cross_entropy(model(x), y)
                if phase == "train":
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
    sched.step()
""",
        # negatives-MODE002
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

model = Net()
opt = torch.optim.Adam(model.parameters())
for epoch in range(20):
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        print(model(x_val).argmax(1))
    model.train()
""",
        # negatives-MODE002
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

model = Net()
opt = torch.optim.Adam(model.parameters())
for epoch in range(20):
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
model.eval()
torch.save(model.state_dict(), "net.pt")
""",
        # more_negatives-MODE002
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

class Trainer:
    def __init__(self, model, loader, val_loader):
        self.model = model
        self.loader = loader
        self.val_loader = val_loader
        self.opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def validate(self):
        self.model.eval()
        with torch.no_grad():
            return sum(self.model(x).sum() for x, _ in self.val_loader)

    def train_epoch(self):
        self.model.train()
        for x, y in self.loader:
            self.opt.zero_grad()
            nn.functional.cross_entropy(self.model(x), y).backward()
            self.opt.step()

    def fit(self, epochs):
        for epoch in range(epochs):
            self.train_epoch()
            print(self.validate())
""",
        # real_code_negatives-MODE002
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

task = Net()
opt = torch.optim.SGD(task.parameters(), lr=0.1)
for mode in (True, False, True):
    task.train() if mode else task.eval()
    if mode:
        opt.zero_grad()
        task(torch.randn(4, 8)).sum().backward()
        opt.step()
""",
    ],
)
def torch_train_not_restored(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags `model.eval()` (directly, or through a helper such as `evaluate(model, ...)`) inside a
    training loop when `model.train()` is not called again before the loop's next training
    step (`loss.backward()`, `optimizer.step()`, or a helper that trains).

    Severity follows the layers seen: error when the module's Dropout or BatchNorm layers are
    resolved, warning when they are not resolved.

    Preview:
    A module whose class has no Dropout or BatchNorm (info): training is the same in both
    modes, so the missing `.train()` changes nothing today. It stays in preview as a style hint;
    it would leave preview only if the field shows maintainers fix it.

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
    facts, index = ctx.facts, ctx.index
    if not (facts.uses("torch") or facts.uses("lightning")):
        return
    training = ctx.training_calls
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
        state = module_state(facts, name, call.scope, call.stmt, index)
        layers = state_mode_layers(facts, state, index, call.stmt)
        severity: Severity | None = None
        preview = False
        if layers:
            effect = {
                "dropout": "Dropout off",
                "batchnorm": "BatchNorm frozen",
            }
            message = (
                f"`{name}` is switched to eval mode inside the training loop and never back: the next epoch trains with "
                f"{' and '.join(effect[k] for k in sorted(layers, reverse=True))}; call `{name}.train()` at the top of the loop"
            )
        elif layers is None:
            severity = Severity.WARNING
            message = (
                f"`{name}` is switched to eval mode inside the training loop and never back; its layers were not "
                "resolved, so any Dropout or BatchNorm in it trains in eval mode from the next epoch; "
                f"call `{name}.train()` at the top of the loop"
            )
        else:
            severity = Severity.INFO
            preview = True
            message = (
                f"`{name}` is switched to eval mode inside the training loop and never back; its class has no "
                "Dropout or BatchNorm today, so training is unchanged, but any such layer added later would "
                f"train in eval mode; call `{name}.train()` at the top of the loop"
            )
        yield Finding(
            where.span,
            message,
            related=tuple(related),
            severity=severity,
            preview=preview,
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
        for c, used in module_uses(facts, index)
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
