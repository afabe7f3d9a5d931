"""LOAD006 (weights-without-architecture): Flags `model.save_weights(...)` and `torch.save(model.state_dict(), ...)` in a file that saves neither the architecture nor the constructor arguments next to them (a full model save, `model.to_json()`, a config written with `json.dump`/`yaml.dump`, or a checkpoint dict with a `config`/`hparams` entry)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from preplint.analysis.artifacts import partners
from preplint.analysis.code_roles import is_pytest_function, is_test_code
from preplint.analysis.context import FileContext
from preplint.analysis.objects import binding_of
from preplint.analysis.records import ArtifactEvent
from preplint.analysis.saving import _artifact
from preplint.diagnostics import Related, Severity
from preplint.facts.model import Call, FileFacts
from preplint.rules import Finding, rule

_CONFIG_KEYS = re.compile(
    r"""["'](?:[a-z_]*config[a-z_]*|cfg|args|hparams|hyper_?param[a-z_]*|params|kwargs|model_kwargs|arch[a-z_]*|init_args|settings|spec)["']""",
    re.I,
)


_CONFIG_WRITERS = frozenset(
    {
        "json.dump",
        "yaml.dump",
        "yaml.safe_dump",
        "toml.dump",
        "tomli_w.dump",
        "omegaconf.OmegaConf.save",
        "pickle.dump",
        "joblib.dump",
    }
)


_ARCH_METHODS = frozenset(
    {"to_json", "to_yaml", "get_config", "save_hyperparameters", "save_pretrained", "save_config"}
)


@rule(
    "LOAD006",
    "weights-without-architecture",
    severity="info",
    positives=[
        """
import torch
import torch.nn as nn

class Forecaster(nn.Module):
    def __init__(self, n_features, hidden=128):
        super().__init__()
        self.gru = nn.GRU(n_features, hidden)

model = Forecaster(n_features=8, hidden=256)
train(model)
torch.save(model.state_dict(), "forecaster.pt")  # expect: LOAD006
""",
        """
from tensorflow import keras

model = keras.Sequential([keras.Input((128, 9)), keras.layers.LSTM(64), keras.layers.Dense(6)])
model.fit(x, y)
model.save_weights("checkpoints/lstm.weights.h5")  # expect: LOAD006
""",
        # only-weights-saved
        """
import keras

class Net(keras.Model):
    def __init__(self, width):
        super().__init__()
        self.d = keras.layers.Dense(width)
    def call(self, x):
        return self.d(x)

model = Net(64)
model.fit(x, y)
model.save_weights("net.weights.h5")  # expect: LOAD006
""",
        # state-dict-through-variable
        """
import torch
state = model.module.state_dict()
torch.save(state, "ddp.pt")  # expect: LOAD006
""",
        # resume-checkpoint-without-config
        """
import torch
torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch}, "last.pt")  # expect: LOAD006
""",
        # weights-helper-in-a-library-still-fires
        """
import torch

def export_for_deploy(model, path):
    model.fuse()
    torch.save(model.state_dict(), path)  # expect: LOAD006
""",
        # read-back-by-another-file-is-a-warning
        {
            "train.py": """
import torch
from nets import Forecaster

model = Forecaster(n_features=8, hidden=256)
train(model)
torch.save(model.state_dict(), "forecaster.pt")  # expect: LOAD006
""",
            "serve.py": """
import torch
from nets import Forecaster

model = Forecaster(n_features=8, hidden=256)
model.load_state_dict(torch.load("forecaster.pt", weights_only=True))
""",
        },
    ],
    negatives=[
        # test-fixture-in-conftest
        {
            "tests/conftest.py": """
import pytest
import torch

@pytest.fixture
def weights_file(tmp_path):
    net = TinyNet(width=4)
    torch.save(net.state_dict(), tmp_path / "w.pt")
    return tmp_path / "w.pt"
""",
        },
        # config-written-by-a-project-helper
        {
            "utils.py": """
import json

def setup_run(config, out):
    with open(out + "/config.json", "w") as f:
        json.dump(config, f)
""",
            "train.py": """
import torch
from utils import setup_run

def main(config):
    setup_run(config, "runs/exp1")
    model = Net(config["hidden"])
    train(model)
    torch.save(model.state_dict(), "runs/exp1/model.pt")
""",
        },
        # reloaded-in-the-same-file
        """
import torch

model = Classifier(hidden=64)
best = float("inf")
for epoch in range(10):
    val_loss = train_one_epoch(model)
    if val_loss < best:
        best = val_loss
        torch.save(model.state_dict(), "best-classifier.pt")
model.load_state_dict(torch.load("best-classifier.pt", weights_only=True))
""",
        # class-without-constructor-arguments
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

model = Net().to(device)
train(model)
torch.save(model.state_dict(), "net.pt")
""",
        # architecture-numbers-in-the-checkpoint-dict
        """
import torch

checkpoint = {
    "input_size": 784,
    "output_size": 10,
    "hidden_layers": [layer.out_features for layer in model.hidden_layers],
    "state_dict": model.state_dict(),
}
torch.save(checkpoint, "checkpoint.pth")
""",
        # snapshot-reloaded-by-the-same-trainer
        """
import os
import torch

class Trainer:
    def __init__(self, model, snapshot_path):
        self.model = model
        self.snapshot_path = snapshot_path
        if os.path.exists(snapshot_path):
            self._load_snapshot(snapshot_path)

    def _load_snapshot(self, path):
        snapshot = torch.load(path, weights_only=True)
        self.model.load_state_dict(snapshot["MODEL_STATE"])

    def _save_snapshot(self, epoch):
        snapshot = {"MODEL_STATE": self.model.module.state_dict(), "EPOCHS_RUN": epoch}
        torch.save(snapshot, self.snapshot_path)
""",
        """
import json
import torch

config = {"n_features": 8, "hidden": 256}
model = Forecaster(**config)
torch.save(model.state_dict(), "weights.pt")
with open("config.json", "w") as f:
    json.dump(config, f)
""",
        """
import torch

torch.save({"model_state": model.state_dict(), "hparams": HPARAMS, "epoch": 15}, "net.ckpt")
""",
        """
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(6)])
with open("arch.json", "w") as f:
    f.write(model.to_json())
model.save_weights("w.weights.h5")
""",
        """
import torch

def save_training_state(folder, optimizer, scheduler):
    torch.save(optimizer.state_dict(), f"{folder}/optimizer.pt")
    torch.save(scheduler.state_dict(), f"{folder}/scheduler.pt")
""",
        # full-model-and-torchscript
        """
import torch
torch.save(model, "full.pt")
torch.jit.save(torch.jit.script(model), "model.ts")
""",
        # hf-save-pretrained
        """
import torch
from transformers import AutoModelForSequenceClassification
model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased")
model.save_pretrained("out")
torch.save(model.state_dict(), "out/extra.pt")
""",
        # yaml-config-next-to-weights
        """
import torch
import yaml
with open("cfg.yaml", "w") as f:
    yaml.safe_dump(cfg, f)
torch.save(model.state_dict(), "w.pt")
""",
        # training-state-that-is-not-a-model
        """
import torch

def save_run_state(out, optimizer, lr_scheduler, grad_scaler, train_loader):
    torch.save(optimizer.state_dict(), f"{out}/optimizer.bin")
    torch.save(lr_scheduler.state_dict(), f"{out}/scheduler.bin")
    state = grad_scaler.state_dict()
    torch.save(state, f"{out}/scaler.pt")
    torch.save(train_loader.state_dict(), f"{out}/loader.pt")
""",
        # test-scratch-file
        {
            "test_roundtrip.py": """
import torch
from mypkg import TinyNet

def test_weights_round_trip(tmp_path):
    net = TinyNet(width=4)
    torch.save(net.state_dict(), tmp_path / "w.pt")
    again = TinyNet(width=4)
    again.load_state_dict(torch.load(tmp_path / "w.pt", weights_only=True))
"""
        },
    ],
)
def weights_without_architecture(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags `model.save_weights(...)` and `torch.save(model.state_dict(), ...)` in a file that saves
    neither the architecture nor the constructor arguments next to them (a full model save,
    `model.to_json()`, a config written with `json.dump`/`yaml.dump`, or a checkpoint dict with a
    `config`/`hparams` entry).

    Why is this bad?:
    Weights are only numbers keyed by layer names. The loader has to rebuild exactly the same
    class with exactly the same arguments (hidden size, number of classes, dropout ...), from
    code that may have changed since. A mismatch fails to load, or, with `strict=False`, loads
    partially.

    Example:
    ```python
    model = Forecaster(n_features=8, hidden=256)
    torch.save(model.state_dict(), "forecaster.pt")
    ```

    Use instead:
    ```python
    config = {"n_features": 8, "hidden": 256}
    model = Forecaster(**config)
    torch.save({"config": config, "state_dict": model.state_dict()}, "forecaster.pt")
    ```

    Not reported: weights the same file reads back itself (the best epoch reloaded for the test
    set, a trainer's own snapshot), a class whose constructor takes no arguments (`Net()`), and a
    checkpoint dict whose other entries record the architecture (`input_size`, `hidden_layers`).
    The finding is a warning when another file of the project reads the weights back (it is
    named as related); info otherwise, when no such reader is seen.

    References:
    - https://pytorch.org/tutorials/beginner/saving_loading_models.html
    """
    facts = ctx.facts
    events = ctx.artifact_events
    if _architecture_saved(facts, events) or _helper_writes_config(ctx):
        return
    for event in events:
        call = facts.call_by_id[event.call]
        if is_pytest_function(facts, call.scope) or is_test_code(facts, call.scope):
            continue  # a test's scratch file: the test rebuilds the model itself to read it back
        if event.api == "keras-save-weights" and call.method == "save_weights":
            what = f"`{call.receiver}.save_weights`"
            module = call.receiver
        elif event.api == "torch-save" and _is_bare_state_dict(facts, call):
            what = "`torch.save` of a `state_dict`"
            module = _state_dict_owner(facts, call)
        else:
            continue
        if _reloaded_here(ctx, event, call):
            continue  # the file that saves rebuilds the module and reads the weights back itself
        if module and _takes_no_arguments(ctx, module, call):
            continue  # `Net()`: there are no constructor arguments to record
        readers = [
            r
            for r in partners(ctx.index, event, "load")
            if r.file != facts.path and r.api in ("torch-load", "load-weights")
        ]
        related = tuple(
            Related(r.file, span.line, span.column, "read back here")
            for r in readers[:2]
            if (f := ctx.index.file(r.file)) is not None
            for span in (f.call_by_id[r.call].span,)
        )
        yield Finding(
            call.span,
            f"{what} without the architecture or constructor arguments: the loader must rebuild the same "
            "class with the same arguments; save the config next to the weights (or the whole model)",
            artifact=_artifact(event.path),
            related=related,
            severity=Severity.WARNING if readers else None,
        )


def _reloaded_here(ctx: FileContext, event: ArtifactEvent, save: Call) -> bool:
    """The same file loads the same artifact (by path, or by the same path expression when
    the path is not known, e.g. `self.snapshot_path`)."""
    facts = ctx.facts
    if any(r.file == facts.path for r in partners(ctx.index, event, "load")):
        return True
    owner = _state_dict_owner(facts, save) if event.api == "torch-save" else save.receiver
    if owner.startswith("self."):
        # A trainer that snapshots `self.model` and restores it in another of its methods.
        cls = save.scope.split(".", 1)[0]
        target = owner.removesuffix(".module")
        if any(
            c.method == "load_state_dict"
            and c.receiver in (target, owner)
            and c.scope.split(".", 1)[0] == cls
            for c in facts.calls
        ):
            return True
    path = save.arg(1, "f") if event.api == "torch-save" else save.arg(0, "filepath")
    if path is None:
        return False
    for e in ctx.artifact_events:
        if e.action != "load" or e.api not in ("torch-load", "load-weights"):
            continue
        load = facts.call_by_id[e.call]
        arg = load.arg(0, "f") if e.api == "torch-load" else load.arg(0, "filepath")
        if arg is not None and arg.value.text == path.value.text:
            return True
    return False


def _state_dict_owner(facts: FileFacts, call: Call) -> str:
    """`model` for `torch.save(model.state_dict(), ...)` (directly or through a variable)."""
    arg = call.arg(0, "obj")
    if arg is None:
        return ""
    value = arg.value
    if value.kind == "name":
        assign = facts.reaching_assign(value.text, call.scope, call.stmt)
        if assign is None or assign.op != "=":
            return ""
        value = assign.value
    if value.kind == "dict":
        # `{"MODEL_STATE": self.model.module.state_dict(), "EPOCHS_RUN": epoch}`
        for call_id in value.calls:
            inner = facts.call_by_id.get(call_id)
            if inner is not None and _model_state_dict(facts, inner):
                return inner.receiver
        return ""
    if value.kind != "call":
        return ""
    inner = facts.call_by_id[value.call]
    return inner.receiver if inner.method == "state_dict" else ""


_MOVES = frozenset({"to", "cuda", "cpu", "double", "float", "half", "train", "eval"})


def _takes_no_arguments(ctx: FileContext, module: str, call: Call) -> bool:
    """The saved module's project class takes no constructor arguments (beyond `self`), and
    it was built with none: `model = Net()`."""
    facts, index = ctx.facts, ctx.index
    b = binding_of(facts, module, call.scope, call.stmt, index)
    if b is None or not b.cls or b.call < 0:
        return False
    found = index.class_for(facts, b.cls)
    if found is None:
        return False
    cls = found[1]
    made = facts.call_by_id.get(b.call)
    # `Net().to(device)`: the constructor is the call the move is made on.
    while made is not None and made.method in _MOVES and made.receiver_call >= 0:
        made = facts.call_by_id.get(made.receiver_call)
    return (
        made is not None
        and not made.args
        and "__init__" in cls.methods
        and not cls.init_has_kwargs
        and not cls.init_params
    )


def _helper_writes_config(ctx: FileContext) -> bool:
    """A project function called here writes a config (`setup_logging(config)` dumping
    `config.json`), directly or through one more project function."""
    from preplint.analysis.custom import resolve_function

    facts, index = ctx.facts, ctx.index
    seen: set[tuple[str, str]] = set()
    frontier = [(facts, c.callee) for c in facts.calls if c.callee]
    for _ in range(2):
        nxt: list[tuple[FileFacts, str]] = []
        for owner, callee in frontier:
            found = resolve_function(owner, callee, index)
            if found is None or (found[0].path, found[1].qualname) in seen:
                continue
            seen.add((found[0].path, found[1].qualname))
            body = [c for c in found[0].calls if c.scope == found[1].qualname]
            if any(c.qualname in _CONFIG_WRITERS or c.method in _ARCH_METHODS for c in body):
                return True
            nxt.extend((found[0], c.callee) for c in body if c.callee)
        frontier = nxt
    return False


def _architecture_saved(facts: FileFacts, events: tuple[ArtifactEvent, ...]) -> bool:
    for e in events:
        if e.action != "save":
            continue
        if e.api in ("keras-save", "jit-save"):
            return True
        if (
            e.api == "torch-save"
            and e.obj_kind in ("torch-module", "hf-model")
            and "state_dict" not in e.obj
        ):
            return True
    for c in facts.calls:
        if (
            c.method in _ARCH_METHODS
            or c.qualname in _CONFIG_WRITERS
            or c.qualname.startswith("mlflow.")
        ):
            return True
    return False


def _is_bare_state_dict(facts: FileFacts, call: Call) -> bool:
    arg = call.arg(0, "obj")
    if arg is None:
        return False
    value = arg.value
    if value.kind == "name":
        assign = facts.reaching_assign(value.text, call.scope, call.stmt)
        if assign is None or assign.op != "=":
            return False
        value = assign.value
    if value.kind == "call":
        return _model_state_dict(facts, facts.call_by_id[value.call])
    if value.kind == "dict":
        if value.text.endswith("...") or _CONFIG_KEYS.search(value.text):
            return False
        keys = _DICT_KEYS.findall(value.text)
        if any(not _STATE_KEYS.search(k) for k in keys):
            return False  # {"input_size": 784, "hidden_layers": [...], "state_dict": ...}
        return any(
            _model_state_dict(facts, facts.call_by_id[c])
            for c in value.calls
            if c in facts.call_by_id
        )
    return False


# Keys of a checkpoint dict that hold training state, not the architecture; any other key
# (`input_size`, `hidden_layers`, `n_classes` ...) records how to rebuild the model.
_DICT_KEYS = re.compile(r"""(?:^\{|,)\s*["']([A-Za-z_][\w ]*)["']\s*:""")
_STATE_KEYS = re.compile(
    r"state|model|net|weights|optim|sched|scaler|epoch|step|iter|loss|acc|best|lr|score|metric"
    r"|time|seed|rng|^[GD]$|gen|disc|encoder|decoder",
    re.I,
)


# `state_dict()` of things that are not models: they need no architecture to be restored
_NOT_A_MODEL = re.compile(r"optim|sched|scaler|loader|sampler|dataset|rng|generator", re.I)


def _model_state_dict(facts: FileFacts, call: Call) -> bool:
    """A `.state_dict()` call on a model, not on an optimizer, scheduler, grad scaler or data loader."""
    if call.method != "state_dict":
        return False
    leaf = call.receiver.rsplit(".", 1)[-1]
    if leaf and _NOT_A_MODEL.search(leaf):
        return False
    b = binding_of(facts, call.receiver, call.scope, call.stmt) if call.receiver else None
    return b is None or b.kind not in ("optimizer", "dataloader", "preprocessor")
