"""MODE001 (torch-eval-missing): Flags a PyTorch module that runs in an inference path (after `load_state_dict` or `torch.load`, under `torch.no_grad()`/`torch.inference_mode()`, or in a predict, evaluate or test function) when no `.eval()` (or `.train(False)`) was called on it first on that path."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.code_roles import is_test_code
from preplint.analysis.context import FileContext
from preplint.analysis.modes import (
    MODE_BAKING,
    base_receiver,
    helper_switch,
    mode_change,
    module_state,
    scripted_saver_state,
)
from preplint.analysis.module_layers import layer_kinds, state_mode_layers
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
from preplint.analysis.records import ModuleState
from preplint.analysis.scopes import NO_GRAD_CONTEXTS, inference_named_scope, no_grad_at
from preplint.analysis.training import in_training_loop, training_calls, training_scopes
from preplint.diagnostics import Edit, Fix, Related, Severity
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


def _inference_reason(
    facts: FileFacts, call: Call, state: ModuleState, index: ProjectIndex, trained_here: bool
) -> str:
    """Why this use of a module is inference, '' when it is (or may be) training."""
    if (
        is_test_in_pytest_file(facts, call.scope)
        or is_test_code(facts, call.scope)
        or in_lightning_module(facts, call.scope, index)
    ):
        return ""  # a test (and its helpers) checks a module; it is not the path that ships
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
        and not is_test_in_pytest_file(facts, call.scope)
        and not only_called_for_training(facts, call.scope, index)
    ):
        return f"in `{named}`"
    if state.load is not None and not training_scope:
        if state.load.call.qualname == "torch.jit.load":
            return "after `torch.jit.load`"
        return "after its weights are loaded"
    return ""


def _same_loop_as_training(facts: FileFacts, call: Call, index: ProjectIndex) -> bool:
    inner = call.loops[-1:] or ()
    return any(
        t.scope == call.scope and tuple(t.loops[-1:]) == tuple(inner)
        for t in training_calls(facts, index)
    )


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
    trains: an eval() inserted into a fine-tuning or training function would break its training.
    When the module is switched back to training mode between the load and the use
    (`model.train()`, a helper that calls it), the eval() goes after that switch, or right before
    the use; with no such place there is no fix, as one that leaves the finding is worse than none."""
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
        anchor = load.call.stmt
        # `model = models.resnet18()` after the load makes a new module in training mode: the
        # eval() belongs after that rebinding, or each --fix adds another one after the load.
        rebinds = [
            a
            for a in facts.assigns
            if a.scope == load.call.scope == use.scope
            and a.op == "="
            and target in a.targets
            and load.call.stmt < a.stmt < use.stmt
        ]
        if rebinds:
            last_bind = max(rebinds, key=lambda a: a.stmt)
            anchor = last_bind.stmt
            where = last_bind.span.line, last_bind.span.column, last_bind.span.end_line
        # A switch back to training mode after the anchor undoes an eval() there: in the use's
        # function first (the last thing before the use), else after the load in its own scope.
        if load.call.scope == use.scope:
            retrain = _last_retrain(facts, index, name, use.scope, anchor, use.stmt)
        else:
            retrain = _last_retrain(facts, index, name, use.scope, -1, use.stmt)
            if retrain is None:
                late = _last_retrain(
                    facts, index, target, load.call.scope, anchor, facts.statements + 1
                )
                if late is not None:
                    return _eval_after(facts, late, None, target)
        if retrain is not None:
            return _eval_after(facts, retrain, use, name) or _eval_before(facts, use, name)
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
    return _eval_before(facts, use, name)


def _switches_to_training(facts: FileFacts, index: ProjectIndex, call: Call, name: str) -> bool:
    """Whether `call` may leave module `name` in training mode: `name.train()` or `.train(flag)`
    (also on a part of it, or on what holds it: `self.train()` for `self.x`), or a project helper given
    `name` whose last switch of that argument is (or may be) to training."""
    if call.method == "train":
        receiver = base_receiver(facts, call)
        if receiver == name or receiver.startswith(name + ".") or name.startswith(receiver + "."):
            return mode_change(call) in ("train", "either")
    return helper_switch(facts, call, name, index, branches=True) in ("train", "either")


def _last_retrain(
    facts: FileFacts, index: ProjectIndex, name: str, scope: str, after: int, before: int
) -> Call | None:
    """The last call of `scope` between statements `after` and `before` (both excluded) that may
    switch module `name` back to training mode."""
    for c in reversed(facts.calls_by_scope.get(scope, [])):
        if after < c.stmt < before and _switches_to_training(facts, index, c, name):
            return c
    return None


def _eval_after(facts: FileFacts, switch: Call, use: Call | None, name: str) -> Fix | None:
    """`name.eval()` on the line after the statement of `switch`, when that statement runs each
    time the use runs, before it: not in a branch, not in a loop the use is outside of, and a
    statement of its own (`model.train()`, `model = model.train()`, `model.train().to(d)`)."""
    if switch.in_condition:
        return None
    if use is not None and tuple(use.loops[: len(switch.loops)]) != tuple(switch.loops):
        return None
    chain = switch  # `model.train().to(d)`: the statement is the whole chain
    while chain.parent != -1 and facts.call_by_id[chain.parent].receiver_call == chain.id:
        chain = facts.call_by_id[chain.parent]
    if any(a.stmt == switch.stmt and a.op == "comp" for a in facts.assigns):
        return None  # `[m.train() for m in parts]`: the statement does not start with the call
    place = _statement_start(facts, chain)  # None in `print(model.train())`
    if place is None:
        return None
    line, column, last = place
    if not _alone_on_its_lines(facts, switch.stmt, line, last):
        return None  # `model.train(); y = model(x)`: no line of its own to follow
    what = switch.callee or "the call"
    return Fix(
        f"Call `{name}.eval()` after `{what}()` switches it back to training mode",
        (Edit(last + 1, 1, last + 1, 1, f"{' ' * (column - 1)}{name}.eval()\n"),),
    )


def _alone_on_its_lines(facts: FileFacts, stmt: int, line: int, last: int) -> bool:
    """Whether no other statement with a call or an assignment shares a line with statement
    `stmt` (lines `line` to `last`): a line inserted before or after it then starts a statement."""
    spans = [c.span for c in facts.calls if c.stmt != stmt]
    spans += [a.span for a in facts.assigns if a.stmt != stmt]
    return not any(s.line <= last and s.end_line >= line for s in spans)


def _eval_before(facts: FileFacts, use: Call, name: str) -> Fix | None:
    """`name.eval()` on the line before the assignment that runs the module, if it is one."""
    for a in facts.assigns:
        if a.stmt == use.stmt and a.op == "=" and use.id in a.value.calls:
            if not _alone_on_its_lines(facts, a.stmt, a.span.line, a.span.end_line):
                return None  # `x = prep(b); y = model(x)`: no line of its own to precede
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
        # positives-MODE001
        {
            "config.py": """MODEL_PATH = "artifacts/net.pt"
""",
            "model.py": """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, n_in=8, n_out=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(32, n_out)

    def forward(self, x):
        return self.head(self.body(x))
""",
            "utils.py": """
import torch
from model import Net

def load_model(path):
    net = Net()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return net
""",
            "predict.py": """
import argparse
import torch
from config import MODEL_PATH
from utils import load_model

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4)
    args = parser.parse_args()
    model = load_model(MODEL_PATH)
    with torch.no_grad():
        out = model(torch.randn(args.n, 8))  # expect: MODE001
    print(out.argmax(1))

if __name__ == "__main__":
    main()
""",
        },
        # positives-MODE001
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

class Predictor:
    def __init__(self, path, device="cpu"):
        self.device = device
        self.model = Net().to(device)
        self.model.load_state_dict(torch.load(path, map_location=device, weights_only=True))

    def predict(self, x):
        with torch.no_grad():
            return self.model(x.to(self.device)).softmax(-1)  # expect: MODE001
""",
        # positives-MODE001: a whole pickled module, saved after training without `.eval()`
        {
            "model.py": """
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 2))

    def forward(self, x):
        return self.body(x)
""",
            "train.py": """
import torch
import torch.nn as nn
from model import Net

model = Net()
opt = torch.optim.Adam(model.parameters())
for x, y in loader:
    opt.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
torch.save(model, "models/full_model.pt")
""",
            "predict.py": """
import torch
from model import Net  # unpickling needs the class

model = torch.load("models/full_model.pt", weights_only=False)

def predict(batch):
    with torch.no_grad():
        return model(batch).argmax(dim=1)  # expect: MODE001
""",
        },
        # positives-MODE001
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

def evaluate(model, loader):
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()  # expect: MODE001
    return correct

def main(train_loader, test_loader):
    model = Net()
    opt = torch.optim.Adam(model.parameters())
    for epoch in range(3):
        for x, y in train_loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    print(evaluate(model, test_loader))
""",
        # positives-MODE001
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

def train(model, loader, val_x, val_y, epochs=10):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            val_loss = nn.functional.cross_entropy(model(val_x), val_y)  # expect: MODE001
        print(epoch, val_loss.item())
""",
        # positives-MODE001
        """
import torch
from torch import no_grad
from torchvision import models

if __name__ == "__main__":
    net = models.resnet50(num_classes=5)
    net.load_state_dict(torch.load("ckpt/resnet50.pth", weights_only=True))
    with no_grad():
        print(net(torch.rand(1, 3, 224, 224)).argmax())  # expect: MODE001
""",
        # positives-MODE001
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

@torch.inference_mode()
def score_batch(x):
    model = Net()
    model.load_state_dict(torch.load("net.pt", weights_only=True))
    model.eval()
    model.train()
    return model(x)  # expect: MODE001
""",
        # positives-MODE001
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

def run_inference(weights, x):
    model = Net()
    state = torch.load(weights, weights_only=True)
    model.load_state_dict(state["model"])
    return model(x)  # expect: MODE001, MODE005
""",
        # more_positives-MODE001
        """
import torch
import segmentation_models_pytorch as smp

model = smp.Unet("resnet34", classes=2)
model.load_state_dict(torch.load("unet.pt", weights_only=True))
model.to("cuda")
with torch.no_grad():
    mask = model(torch.rand(1, 3, 256, 256).cuda())  # expect: MODE001
""",
        # field_positives-MODE001: a scripted module saved in training mode keeps that flag after `torch.jit.load`
        {
            "model.py": """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3))
        self.head = nn.Linear(32, 2)

    def forward(self, x):
        return self.head(self.body(x))
""",
            "train.py": """
import torch
from model import Net

net = Net()
opt = torch.optim.Adam(net.parameters())
for x, y in loader:
    opt.zero_grad()
    torch.nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
torch.jit.save(torch.jit.script(net), "exported/net_scripted.pt")
""",
            "serve.py": """
import torch

scripted = torch.jit.load("exported/net_scripted.pt")

def predict(x):
    with torch.no_grad():
        return scripted(x).argmax(1)  # expect: MODE001
""",
        },
        # field_positives-MODE001: `torch.export` of a loaded module still in training mode
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3))
        self.head = nn.Linear(32, 2)

    def forward(self, x):
        return self.head(self.body(x))

net = Net()
net.load_state_dict(torch.load("net.pt", weights_only=True))
program = torch.export.export(net, (torch.randn(1, 8),))  # expect: MODE001
torch.export.save(program, "net.pt2")
""",
        # field_positives-MODE001: a trace right after training records Dropout in training mode
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3))
        self.head = nn.Linear(32, 2)

    def forward(self, x):
        return self.head(self.body(x))

def fit(loader):
    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for x, y in loader:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    traced = torch.jit.trace(net, torch.randn(1, 8))  # expect: MODE001
    traced.save("net_traced.pt")
""",
        # field_positives-MODE001: the model comes back inside a tuple from a loader helper
        """
import torch
import torch.nn as nn

class Coder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.25))
        self.head = nn.Linear(32, 2)

    def encode(self, x):
        return self.enc(x)

    def forward(self, x):
        return self.head(self.enc(x))

def load_bundle(path):
    coder = Coder()
    coder.load_state_dict(torch.load(path, weights_only=True))
    labels = ["neg", "pos"]
    return coder, labels

coder, labels = load_bundle("coder.pt")
with torch.no_grad():
    print(labels[coder(torch.randn(1, 8)).argmax()])  # expect: MODE001
""",
        # field_positives-MODE001: a loaded module run through one of its own methods
        """
import torch
import torch.nn as nn

class Coder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.25))
        self.head = nn.Linear(32, 2)

    def encode(self, x):
        return self.enc(x)

    def forward(self, x):
        return self.head(self.enc(x))

coder = Coder()
coder.load_state_dict(torch.load("coder.pt", weights_only=True))
with torch.no_grad():
    codes = coder.encode(torch.randn(16, 8))  # expect: MODE001
""",
        # field_positives-MODE001: a frozen teacher in distillation, run under no_grad but left in train mode
        """
import torch
import torch.nn as nn

class Coder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.25))
        self.head = nn.Linear(32, 2)

    def encode(self, x):
        return self.enc(x)

    def forward(self, x):
        return self.head(self.enc(x))

teacher = Coder()
teacher.load_state_dict(torch.load("teacher.pt", weights_only=True))
student = nn.Linear(8, 2)
opt = torch.optim.Adam(student.parameters())
for x, y in loader:
    with torch.no_grad():
        target = teacher(x).softmax(-1)  # expect: MODE001
    loss = nn.functional.kl_div(student(x).log_softmax(-1), target, reduction="batchmean")
    opt.zero_grad()
    loss.backward()
    opt.step()
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
        # negatives-MODE001
        {
            "model.py": """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, n_in=8, n_out=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(32, n_out)

    def forward(self, x):
        return self.head(self.body(x))
""",
            "utils.py": """
import torch
from model import Net

def load_model(path):
    model = Net()
    model.load_state_dict(torch.load(path, weights_only=True))
    model.eval()
    return model
""",
            "predict.py": """
import torch
from utils import load_model

model = load_model("artifacts/net.pt")
with torch.no_grad():
    print(model(torch.randn(2, 8)))
""",
        },
        # negatives-MODE001
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

device = "cuda" if torch.cuda.is_available() else "cpu"
model = Net().to(device).eval()
model.load_state_dict(torch.load("net.pt", weights_only=True))
with torch.no_grad():
    y = model(torch.randn(3, 8, device=device))
""",
        # negatives-MODE001
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

class Predictor:
    def __init__(self, path):
        self.model = Net()
        self.model.load_state_dict(torch.load(path, weights_only=True))
        self.model.eval()

    @torch.no_grad()
    def predict(self, x):
        return self.model(x)
""",
        # negatives-MODE001
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

@torch.no_grad()
def predict(model, x):
    return model(x).argmax(1)

def main():
    model = Net()
    model.load_state_dict(torch.load("net.pt", weights_only=True))
    model.eval()
    print(predict(model, torch.randn(4, 8)))
""",
        # negatives-MODE001
        """
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

tok = AutoTokenizer.from_pretrained("distilbert-base-uncased")
model = AutoModelForSequenceClassification.from_pretrained("out/checkpoint")

def predict(texts):
    with torch.no_grad():
        return model(**tok(texts, return_tensors="pt", padding=True)).logits.argmax(-1)
""",
        # negatives-MODE001
        """
import torch
import torch.nn as nn

G = nn.Sequential(nn.Linear(16, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 2))
D = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Dropout(0.3), nn.Linear(64, 1))
opt_g = torch.optim.Adam(G.parameters())
opt_d = torch.optim.Adam(D.parameters())
for real in loader:
    z = torch.randn(real.size(0), 16)
    with torch.no_grad():
        fake = G(z)
    d_loss = -(D(real).mean() - D(fake).mean())
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = -D(G(z)).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
""",
        # negatives-MODE001
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

def evaluate(model, loader, criterion):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            total += criterion(model(x), y).item()
    return total

criterion = nn.CrossEntropyLoss()
""",
        # negatives-MODE001
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
model.load_state_dict(torch.load("net.pt", weights_only=True))

def predict(x):
    with torch.no_grad():
        return model(x)

if __name__ == "__main__":
    model.eval()
    print(predict(torch.randn(1, 8)))
""",
        # negatives-MODE001
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

# fine-tuning from a checkpoint: the model runs for training, not inference
model = Net()
model.load_state_dict(torch.load("pretrained.pt", weights_only=True))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
for x, y in loader:
    opt.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
""",
        # negatives-MODE001
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

def freeze(module):
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)

backbone = Net()
backbone.load_state_dict(torch.load("backbone.pt", weights_only=True))
freeze(backbone)
with torch.no_grad():
    feats = backbone(torch.randn(2, 8))
""",
        # negatives-MODE001
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
model.load_state_dict(torch.load("net.pt", weights_only=True))
model.eval()
model = torch.nn.DataParallel(model)
with torch.no_grad():
    out = model(torch.randn(8, 8))
""",
        # negatives-MODE001
        {
            "model.py": """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, n_in=8, n_out=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(32, n_out)

    def forward(self, x):
        return self.head(self.body(x))
""",
            "test_model.py": """
import torch
from model import Net

def test_output_shape():
    net = Net()
    with torch.no_grad():
        assert net(torch.randn(2, 8)).shape == (2, 2)
""",
        },
        # negatives-MODE001
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

def predict(net, x):
    return net(x)

def train(loader):
    net = Net()
    opt = torch.optim.Adam(net.parameters())
    for x, y in loader:
        loss = nn.functional.cross_entropy(predict(net, x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
""",
        # negatives-MODE001
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

def load(path):
    net = Net()
    net.load_state_dict(torch.load(path, weights_only=True))
    return net.eval()

@torch.no_grad()
def predict(net, x):
    return net(x)

print(predict(load("net.pt"), torch.randn(1, 8)))
""",
        # negatives-MODE001
        """
import tensorflow as tf
import torch

model = tf.keras.models.load_model("clf.keras")

def predict(x):
    return model(x, training=False)
""",
        # more_negatives-MODE001
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

device = torch.device("cpu")
model = Net()
model.load_state_dict(torch.load("net.pt", weights_only=True))
model.to(device).eval()
with torch.no_grad():
    out = model(torch.randn(2, 8))
""",
        # more_negatives-MODE001
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

def train(model, loader, epochs):
    opt = torch.optim.Adam(model.parameters())
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        model.eval()

@torch.no_grad()
def test(model, loader):
    return [model(x) for x, _ in loader]

def main(loader, test_loader):
    model = Net()
    train(model, loader, 3)
    print(test(model, test_loader))
""",
        # field_negatives-MODE001: a shape check on a module built in the same function
        """
import torch
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3)
        self.bn = nn.BatchNorm2d(width)

    def forward(self, x):
        return self.bn(self.conv(x))

def test():
    block = Block(16)
    out = block(torch.randn(2, 3, 8, 8))
    print(out.shape)

if __name__ == "__main__":
    test()
""",
        # field_negatives-MODE001: single-layer recurrent nets without dropout compute the same in both modes
        """
import torch
import torch.nn as nn

class Tagger(nn.Module):
    def __init__(self, vocab, dim):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.out = nn.Linear(dim, 5)

    def forward(self, x):
        h, _ = self.rnn(self.emb(x))
        return self.out(h)

tagger = Tagger(100, 32)
tagger.load_state_dict(torch.load("tagger.pt", weights_only=True))
with torch.no_grad():
    tags = tagger(torch.randint(0, 100, (1, 7))).argmax(-1)
""",
        # field_negatives-MODE001: a load that resumes training; the sampler runs from the training loop
        """
import torch
import torch.nn as nn

gen = nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 8))
opt = torch.optim.Adam(gen.parameters())
if start_epoch > 0:
    gen.load_state_dict(torch.load("gen_%d.pt" % start_epoch, weights_only=True))

def dump_samples(step):
    fake = gen(torch.randn(16, 8))
    torch.save(fake.detach(), "samples_%d.pt" % step)

for epoch in range(start_epoch, 50):
    for step, real in enumerate(loader):
        opt.zero_grad()
        loss = (gen(torch.randn(real.size(0), 8)) - real).pow(2).mean()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            dump_samples(step)
""",
        # field_negatives-MODE001: `.eval()` in the enclosing function before the nested runner is called
        """
import torch
import torch.nn as nn

def validate(loader, model):
    def run(batches):
        hits = 0
        with torch.no_grad():
            for x, y in batches:
                hits += (model(x).argmax(1) == y).sum().item()
        return hits

    model.eval()
    return run(loader)

def main(loader):
    model = nn.Sequential(nn.Linear(8, 16), nn.Dropout(0.5), nn.Linear(16, 2))
    model.load_state_dict(torch.load("m.pt", weights_only=True))
    print(validate(loader, model))
""",
        # field_negatives-MODE001: the scripted module was saved after `.eval()`, so it loads in eval mode
        {
            "model.py": """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3))
        self.head = nn.Linear(32, 2)

    def forward(self, x):
        return self.head(self.body(x))
""",
            "train.py": """
import torch
from model import Net

net = Net()
opt = torch.optim.Adam(net.parameters())
for x, y in loader:
    opt.zero_grad()
    torch.nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
net.eval()
torch.jit.save(torch.jit.script(net), "exported/net_scripted.pt")
""",
            "serve.py": """
import torch

scripted = torch.jit.load("exported/net_scripted.pt")

def predict(x):
    with torch.no_grad():
        return scripted(x).argmax(1)
""",
        },
        # field_negatives-MODE001: exported after `.eval()`
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3))
        self.head = nn.Linear(32, 2)

    def forward(self, x):
        return self.head(self.body(x))

net = Net()
net.load_state_dict(torch.load("net.pt", weights_only=True))
net.eval()
program = torch.export.export(net, (torch.randn(1, 8),))
torch.export.save(program, "net.pt2")
""",
        # field_negatives-MODE001: an untrained module exported to check the graph
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3))
        self.head = nn.Linear(32, 2)

    def forward(self, x):
        return self.head(self.body(x))

def check_export():
    program = torch.export.export(Net(), (torch.randn(1, 8),))
    print(program.graph)
""",
        # field_negatives-MODE001: the loader helper switches the model to eval before returning the tuple
        """
import torch
import torch.nn as nn

class Coder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.25))
        self.head = nn.Linear(32, 2)

    def encode(self, x):
        return self.enc(x)

    def forward(self, x):
        return self.head(self.enc(x))

def load_bundle(path):
    coder = Coder()
    coder.load_state_dict(torch.load(path, weights_only=True))
    coder.eval()
    return coder, ["neg", "pos"]

coder, labels = load_bundle("coder.pt")
with torch.no_grad():
    print(labels[coder(torch.randn(1, 8)).argmax()])
    codes = coder.encode(torch.randn(16, 8))
""",
        # field_negatives-MODE001: a helper method that runs no layer is not a run of the module
        """
import torch
import torch.nn as nn

class CharRNN(nn.Module):
    def __init__(self, n_chars, hidden):
        super().__init__()
        self.hidden = hidden
        self.rnn = nn.LSTM(n_chars, hidden, num_layers=2, dropout=0.3, batch_first=True)
        self.out = nn.Linear(hidden, n_chars)

    def init_state(self, batch):
        return torch.zeros(2, batch, self.hidden), torch.zeros(2, batch, self.hidden)

    def forward(self, x, state):
        y, state = self.rnn(x, state)
        return self.out(y), state

net = CharRNN(40, 64)
net.load_state_dict(torch.load("char_rnn.pt", weights_only=True))
state = net.init_state(1)
net.eval()
with torch.no_grad():
    logits, state = net(torch.zeros(1, 1, 40), state)
""",
        # field_negatives-MODE001: a notebook redefines the class with Dropout only after this run
        """
import torch
import torch.nn as nn

class Clf(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))

model = Clf()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(3):
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    with torch.no_grad():
        print(model(val_x).argmax(1).eq(val_y).float().mean())

class Clf(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(16, 2)

    def forward(self, x):
        return self.fc2(self.drop(torch.relu(self.fc1(x))))
""",
        # field_negatives-MODE001: a test case's helper runs a parameter-free op it builds
        """
import unittest

import torch
import torch.nn as nn
from torchvision.ops import roi_align

class RoIPool(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.size = size

    def forward(self, feats, boxes):
        return roi_align(feats, boxes, self.size)

class RoIPoolCheck(unittest.TestCase):
    def _pooled(self, feats, boxes):
        op = RoIPool((2, 2))
        with torch.no_grad():
            return op.forward(feats, boxes)

    def test_shape(self):
        out = self._pooled(torch.rand(1, 1, 8, 8), [torch.tensor([[0.0, 0.0, 4.0, 4.0]])])
        self.assertEqual(tuple(out.shape), (1, 1, 2, 2))
""",
        # real_code_negatives-MODE001
        """
import torch
from transformers import PreTrainedModel

class SafetyChecker(PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.head = torch.nn.Linear(768, 1)

    @torch.no_grad()
    def forward(self, emb):
        return self.head(emb)
""",
        # real_code_negatives-MODE001
        """
import torch

def dream_latents(unet, latents, t):
    # a training utility: nobody in the project calls it and its name does not say inference
    with torch.no_grad():
        pred = unet(latents, t)
    return latents - pred
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
    A module from `torch.jit.load` keeps the training flag it was saved with: the rule follows
    the artifact to `torch.jit.save` in the project and reports when it was saved in training
    mode. `torch.jit.trace(model, x)` and `torch.export.export(model, (x,))` of a trained or
    loaded module still in training mode are reported at the trace/export: the program records
    training behaviour, and a later `.eval()` does not change a trace (on an exported program's
    module it raises). A module built in the same function and run before any weights or
    training reach it (a shape check) is not an inference path.

    Severity follows what was seen: error when the module's Dropout or BatchNorm layers are
    resolved; warning when its layers (or a parameter's origin) are not resolved; info for a
    module whose class has no Dropout or BatchNorm (recurrent layers count only with
    `dropout>0`), where outputs match today.

    Preview:
    Two parts are in preview. (1) The info variant for a module with no Dropout or BatchNorm:
    outputs are the same in both modes, so it can never be a real mistake today; it stays in
    preview as a style hint. (2) A `torch.jit.load` whose saver is not in the project: the
    saved flag is not seen. (3) A whole pickled module from `torch.load` whose save is not in
    the project: its class, its layers and the mode it was saved in are unseen. Parts (2) and
    (3) leave preview when the saved flag and layers can be read from the artifact (the
    `--confirm` worker can load it and read `.training` and the module's children).

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
    trained = trained_uses(facts, index)
    for call, name in module_uses(facts, index):
        name = method_owner(facts, call, index) or name  # `vae.encode(x)` runs `vae`
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
        if state.load is None and built_untrained_here(facts, call, name):
            continue  # a shape check on a module built right here: its mode cannot matter
        if reason.startswith("after ") and resumes_training(facts, state, call, trained, index):
            continue
        reported.add(key)
        layers = state_mode_layers(facts, state, index, call.stmt)
        severity: Severity | None = None
        preview = False
        if layers:
            kinds = layer_kinds(layers)
            message = f"`{name}` runs {reason} but is still in training mode (no `.eval()` on this path): its {kinds} layers act as in training"
            if state.assumed:
                severity = Severity.WARNING
        elif layers is None:
            severity = Severity.WARNING
            message = (
                f"`{name}` runs {reason} but is still in training mode (no `.eval()` on this path); "
                "its layers were not resolved, so any Dropout or BatchNorm in it acts as in training"
            )
            if state.load is not None and state.load.call.qualname in fw.TORCH_LOAD:
                # Preview: a whole pickled module whose saver is not seen: neither its layers nor
                # the mode it was saved in are known.
                preview = True
                message = (
                    f"`{name}` runs {reason} with no `.eval()` after `torch.load`: a whole pickled module "
                    "keeps the mode it was saved in, and neither its class nor its save is seen"
                )
        else:
            severity = Severity.INFO
            preview = True
            message = (
                f"`{name}` runs {reason} without `.eval()`; its class has no Dropout or BatchNorm today, "
                "so outputs match, but any such layer added later will act as in training"
            )
        if state.load is not None and state.load.call.qualname == "torch.jit.load":
            saved = scripted_saver_state(state.load, index)
            if saved is None:
                # Preview: the saver is not in the project, so the flag it saved is not seen.
                severity = Severity.WARNING if severity != Severity.INFO else severity
                preview = True
                message = (
                    f"`{name}` runs {reason} with no `.eval()` after `torch.jit.load`: a scripted module keeps "
                    "the training flag it was saved with, and the save is not in the project"
                )
            else:
                message += " (it was scripted and saved in training mode)"
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
            preview=preview,
        )
    yield from _baked_in_training_mode(facts, index, trained)


def _baked_in_training_mode(
    facts: FileFacts, index: ProjectIndex, trained: set[tuple[str, str]]
) -> Iterator[Finding]:
    """`torch.jit.trace(model, x)` / `torch.export.export(model, (x,))` of a trained or loaded module
    still in training mode: the program records Dropout and batch-statistics BatchNorm for good, and a
    later `.eval()` does not change a trace (and raises on an exported program's module)."""
    for call in facts.calls:
        if call.qualname not in MODE_BAKING:
            continue
        first = call.arg(0, "func") or call.arg(0, "mod")
        name = first.value.name if first is not None else ""
        if not name or in_training_loop(facts, call, index):
            continue
        state = module_state(facts, name, call.scope, call.stmt, index)
        if not state.torch or state.stateless or state.mode != "train" or state.assumed:
            continue
        if state.load is None and not any(n == name for _, n in trained):
            continue  # neither trained nor loaded here: an untrained module, mode cannot matter
        layers = state_mode_layers(facts, state, index, call.stmt)
        api = "traced" if call.qualname == "torch.jit.trace" else "exported"
        severity: Severity | None = None
        preview = False
        if layers:
            message = (
                f"`{name}` is {api} in training mode (no `.eval()` before `{call.callee}`): the program keeps its "
                f"{layer_kinds(layers)} layers acting as in training, and a later `.eval()` cannot change that"
            )
        elif layers is None:
            severity = Severity.WARNING
            message = (
                f"`{name}` is {api} in training mode (no `.eval()` before `{call.callee}`); its layers were not "
                "resolved, so any Dropout or BatchNorm in it is recorded acting as in training"
            )
        else:
            severity = Severity.INFO
            preview = True
            message = (
                f"`{name}` is {api} in training mode; its class has no Dropout or BatchNorm today, so the "
                "program matches, but any such layer added later would be recorded acting as in training"
            )
        related: tuple[Related, ...] = ()
        if state.load is not None:
            lc = state.load.call
            related = (
                Related(state.load.facts.path, lc.span.line, lc.span.column, "weights loaded here"),
            )
        yield Finding(call.span, message, related=related, severity=severity, preview=preview)
