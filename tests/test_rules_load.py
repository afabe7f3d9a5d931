"""Regression cases for the LOAD family (and SAFE002, ENV001): varied imports, scopes and projects."""

from __future__ import annotations

import pytest

from tests.helpers import as_project, expected_lines, lint

CODES = (
    "LOAD001",
    "LOAD002",
    "LOAD003",
    "LOAD004",
    "LOAD005",
    "LOAD006",
    "SAFE002",
)  # ENV001: own cases below


def check(example: str | dict[str, str], codes: tuple[str, ...] = CODES) -> None:
    sources = as_project(example)
    found = lint(example)
    assert not [d for d in found if d.code in ("INTERNAL", "SYNTAX")], found
    for code in codes:
        got = {(d.path, d.line) for d in found if d.code == code}
        assert got == expected_lines(sources, code), code


# --- LOAD001 -------------------------------------------------------------------------------------

LOAD001_CASES = {
    "module-import-alias-and-config-module": {
        "config.py": 'from pathlib import Path\nMODEL_DIR = Path("artifacts")\nMODEL_PATH = MODEL_DIR / "clf.keras"\n',
        "blocks.py": """
import tensorflow as tf

class GatedDense(tf.keras.layers.Layer):
    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.units = units
    def get_config(self):
        return {**super().get_config(), "units": self.units}
""",
        "train.py": """
import tensorflow as tf
import blocks as B
import config

model = tf.keras.Sequential([tf.keras.Input((4,)), B.GatedDense(16), tf.keras.layers.Dense(1)])
model.compile("adam", "mse")
model.fit(x, y)
model.save(config.MODEL_PATH)
""",
        "predict.py": """
from tensorflow.keras.models import load_model
import config

class Predictor:
    def __init__(self):
        self.model = load_model(config.MODEL_PATH)  # expect: LOAD001
    def predict(self, x):
        return self.model.predict(x)
""",
    },
    "builder-in-another-module": {
        "model.py": """
from tensorflow import keras
from layers import PatchEmbed

def build_model(n):
    inp = keras.Input((32, 32, 3))
    return keras.Model(inp, keras.layers.Dense(n)(PatchEmbed(4)(inp)))
""",
        "layers.py": """
from tensorflow import keras

class PatchEmbed(keras.layers.Layer):
    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        self.size = size
    def get_config(self):
        return {**super().get_config(), "size": self.size}
""",
        "train.py": """
import os
from model import build_model

OUT = os.path.join("runs", "vit.keras")
model = build_model(10)
model.fit(x, y)
model.save(OUT)
""",
        "predict.py": """
import keras

def main():
    model = keras.saving.load_model("runs/vit.keras")  # expect: LOAD001
    print(model.predict(x))
""",
    },
    "argparse-path-uses-project-classes": {
        "nets.py": """
import keras

class TwoTower(keras.Model):
    def call(self, x):
        return x
""",
        "serve.py": """
import argparse
import keras

def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    args = p.parse_args()
    model = keras.models.load_model(args.model)  # expect: LOAD001
""",
    },
    "custom-activation-same-file": """
import tensorflow as tf

def mish(x):
    return x * tf.math.tanh(tf.math.softplus(x))

def train(x, y):
    model = tf.keras.Sequential([tf.keras.layers.Dense(8, activation=mish), tf.keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y)
    model.save("mish.keras")

def evaluate(x, y):
    model = tf.keras.models.load_model("mish.keras", compile=False)  # expect: LOAD001
    return model.predict(x)
""",
    "lambda-layer-linked": {
        "train.py": """
import keras
inp = keras.Input((4,))
model = keras.Model(inp, keras.layers.Lambda(lambda t: t * 2)(inp))  # expect: SAFE002
model.save("double.keras")
""",
        "predict.py": """
import keras
model = keras.models.load_model("double.keras")  # expect: LOAD001
""",
    },
}

LOAD001_NEGATIVES = {
    "all-registered-tf-utils": {
        "layers.py": """
import tensorflow as tf

@tf.keras.utils.register_keras_serializable(package="ecg")
class SE(tf.keras.layers.Layer):
    def call(self, x):
        return x

@tf.keras.utils.register_keras_serializable()
def focal(y_true, y_pred):
    return y_pred
""",
        "train.py": """
import tensorflow as tf
from layers import SE, focal
model = tf.keras.Sequential([SE(), tf.keras.layers.Dense(1)])
model.compile("adam", loss=focal)
model.fit(x, y)
model.save(args.out)
""",
        "predict.py": """
import sys
import tensorflow as tf
import layers  # registers
model = tf.keras.models.load_model(sys.argv[1])
""",
    },
    "custom-objects-variable": {
        "layers.py": "import keras\nclass A(keras.layers.Layer):\n    pass\n",
        "predict.py": """
import keras
from layers import A
CUSTOM = {"A": A}
model = keras.models.load_model("a.keras", custom_objects=CUSTOM)
""",
    },
    "built-in-only-model-nonliteral": {
        "train.py": """
from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
model.compile("adam", "mse")
model.fit(x, y)
model.save("m.keras")
""",
        "predict.py": """
import sys
from tensorflow import keras
model = keras.models.load_model(sys.argv[1])
""",
    },
    "keras-callback-is-not-serialised": {
        "callbacks.py": """
from tensorflow import keras
class LogLR(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        pass
""",
        "predict.py": """
import sys
from tensorflow import keras
model = keras.models.load_model(sys.argv[1])
""",
    },
    "torch-project-only": {
        "model.py": """
import torch.nn as nn
class Net(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, 1)
""",
        "predict.py": """
import sys
import torch
from model import Net
net = Net(4)
net.load_state_dict(torch.load(sys.argv[1], weights_only=True))
""",
    },
    "global-custom-objects": """
import tensorflow as tf

class Swish(tf.keras.layers.Layer):
    def call(self, x):
        return x * tf.sigmoid(x)

tf.keras.utils.get_custom_objects()["Swish"] = Swish
model = tf.keras.Sequential([Swish()])
model.save("swish.keras")
restored = tf.keras.models.load_model("swish.keras")
""",
    "other-function-builds-another-model": """
import keras

class Custom(keras.layers.Layer):
    def call(self, x):
        return x

def test_custom_roundtrip(tmp):
    model = keras.Sequential([Custom()])
    model.save(tmp + "/custom.keras")
    keras.models.load_model(tmp + "/custom.keras", custom_objects={"Custom": Custom})

def test_builtin_roundtrip(tmp):
    model = keras.Sequential([keras.layers.Dense(2)])
    model.save(tmp + "/plain.keras")
    keras.models.load_model(tmp + "/plain.keras")
    model.save(tmp + "/plain.h5")
""",
    "subclassed-parts-inside-registered-model": """
import keras

class Block(keras.layers.Layer):
    def call(self, x):
        return x

@keras.saving.register_keras_serializable()
class Net(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.block = Block()
    def call(self, x):
        return self.block(x)

model = Net()
model.save("net.keras")
model = keras.models.load_model("net.keras")
""",
    # Keras 3 imports `module.Class` itself for modules of its own packages (keras, keras_hub...).
    "class-in-a-keras-package-module": {
        "keras_hub/src/models/head_test.py": """
import os
import keras

class Head(keras.Model):
    def call(self, x):
        return x

def test_round_trip(tmp):
    path = os.path.join(tmp, "head.keras")
    Head().save(path)
    keras.saving.load_model(path)
""",
    },
    "checkpoint-callback-writes-the-loaded-model": {
        "blocks.py": """
import keras

class Gate(keras.layers.Layer):
    def call(self, x):
        return x
""",
        "resume.py": """
import keras

def resume(x, y, ckpt_dir):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(x, y, callbacks=[keras.callbacks.BackupAndRestore(ckpt_dir)])
    return keras.models.load_model(ckpt_dir)
""",
    },
    "model-built-in-setup-classes-of-other-tests": """
import os
import keras

class SavingTest:
    def setUp(self):
        self.model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])

    def test_save(self):
        path = os.path.join(self.tmp, "m.keras")
        self.model.save(path)
        keras.models.load_model(path)

    def test_other(self):
        class Doubler(keras.layers.Layer):
            def call(self, x):
                return x * 2
        model = keras.Sequential([keras.Input((3,)), Doubler()])
        model(x)
""",
    "class-defined-after-the-save": """
import os
import keras

def test_export(tmp, x):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = os.path.join(tmp, "m.keras")
    model.save(path)
    keras.models.load_model(path)

    class Wrapped(keras.Model):  # expect: LOAD002
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
        def call(self, x):
            return self.inner(x)

    Wrapped(model)(x)
""",
}


@pytest.mark.parametrize("name", sorted(LOAD001_CASES))
def test_load001_positive(name: str) -> None:
    check(LOAD001_CASES[name])


@pytest.mark.parametrize("name", sorted(LOAD001_NEGATIVES))
def test_load001_negative(name: str) -> None:
    check(LOAD001_NEGATIVES[name])


def test_load001_sets_artifact_and_related() -> None:
    found = [
        d
        for d in lint(LOAD001_CASES["module-import-alias-and-config-module"])
        if d.code == "LOAD001"
    ]
    assert found[0].artifact == "artifacts/clf.keras"
    assert {r.path for r in found[0].related} >= {"train.py", "blocks.py"}


# --- LOAD002 / LOAD003 ---------------------------------------------------------------------------

LOAD002_003_CASES = {
    "inherits-project-base": """
from tensorflow.keras import layers

class Base(layers.Layer):
    pass

class Scaled(Base):  # expect: LOAD002
    def __init__(self, factor, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.factor = factor
""",
    "base-args-only": """
import keras

class Named(keras.layers.Layer):
    def __init__(self, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
""",
    "only-weights-saved": """
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
    "h5-subclassed-via-save-model": """
import tensorflow as tf

class Net(tf.keras.Model):
    def call(self, x):
        return x

net = Net()
net.fit(x, y)
tf.keras.models.save_model(net, "net.hdf5")  # expect: LOAD003
""",
    "h5-checkpoint-callback": """
from tensorflow import keras

class Attn(keras.layers.Layer):
    def call(self, x):
        return x

model = keras.Sequential([keras.Input((5, 4)), Attn(), keras.layers.Dense(1)])
ckpt = keras.callbacks.ModelCheckpoint("best.h5", save_best_only=True)  # expect: LOAD003
model.fit(x, y, callbacks=[ckpt])
""",
    "savedmodel-and-keras-formats-fine": """
import tensorflow as tf

class Net(tf.keras.Model):
    def call(self, x):
        return x

net = Net()
net.save("export/net", save_format="tf")
net.save("net.keras")
""",
    "h5-built-ins-with-custom-loss": """
from tensorflow import keras

def smooth_l1(y_true, y_pred):
    return y_pred

model = keras.Sequential([keras.layers.Dense(1)])
model.compile("adam", loss=smooth_l1)
model.save("reg.h5")
""",
    # Keras 3 records plain `__init__` arguments of a layer by itself.
    "keras3-plain-arguments": """
import keras

class Clip(keras.layers.Layer):
    def __init__(self, low: float, high: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.low, self.high = low, high
    def call(self, x):
        return keras.ops.clip(x, self.low, self.high)

class Stack(keras.layers.Layer):
    def __init__(self, widths, **kwargs):
        super().__init__(**kwargs)
        self.dense = [keras.layers.Dense(w) for w in widths]
    def call(self, x):
        for d in self.dense:
            x = d(x)
        return x

class Block(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.inner = Stack([units, units])
    def call(self, x):
        return self.inner(x)

model = keras.Sequential([keras.Input((4,)), Clip(0.0), Stack([8, 4]), Block(units=3)])
""",
    "keras3-layer-given-a-layer": """
import keras

class Shortcut(keras.layers.Layer):  # expect: LOAD002
    def __init__(self, branch=None, **kwargs):
        super().__init__(**kwargs)
        self.branch = branch
    def call(self, x):
        return x + self.branch(x)

layer = Shortcut(keras.layers.Dense(4))
""",
    "keras3-layer-given-a-function": """
import keras

def mish(x):
    return x * keras.ops.tanh(keras.ops.softplus(x))

class Act(keras.layers.Layer):  # expect: LOAD002
    def __init__(self, fn="relu", **kwargs):
        super().__init__(**kwargs)
        self.fn = keras.activations.get(fn)
    def call(self, x):
        return self.fn(x)

layer = Act(fn=mish)
""",
    "model-subclass-gets-no-auto-config": """
import keras

class Tiny(keras.Model):  # expect: LOAD002
    def __init__(self, width=8):
        super().__init__()
        self.d = keras.layers.Dense(width)
    def call(self, x):
        return self.d(x)

model = Tiny(16)
""",
    "keras2-pinned-plain-arguments": {
        "requirements.txt": "tensorflow>=2.12,<2.16\n",
        "layers.py": """
from tensorflow import keras

class Shift(keras.layers.Layer):  # expect: LOAD002
    def __init__(self, offset=0.5, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset
""",
    },
    "tf-keras-imported": """
import tf_keras as keras

class Shift(keras.layers.Layer):  # expect: LOAD002
    def __init__(self, offset=0.5, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset
""",
    "inherited-get-config-covers-base-arguments": """
import keras

class ConvBase(keras.layers.Layer):
    def __init__(self, rank, filters, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.rank, self.filters, self.kernel_size = rank, filters, kernel_size
    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size}

class Conv1(ConvBase):
    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(1, filters, kernel_size, **kwargs)

class GatedConv1(ConvBase):  # expect: LOAD002
    def __init__(self, filters, kernel_size, gate_bias, **kwargs):
        super().__init__(1, filters, kernel_size, **kwargs)
        self.gate_bias = gate_bias
""",
    "built-in-base-covers-forwarded-arguments": """
import keras

class WideDense(keras.layers.Dense):
    def __init__(self, units, **kwargs):
        super().__init__(units * 2, **kwargs)
""",
    "unseen-base-is-not-judged": """
import keras
from plugins import Configurable

class Tagged(Configurable, keras.layers.Layer):
    def __init__(self, tag, **kwargs):
        super().__init__(**kwargs)
        self.tag = tag
""",
}


@pytest.mark.parametrize("name", sorted(LOAD002_003_CASES))
def test_load002_load003(name: str) -> None:
    check(LOAD002_003_CASES[name])


# --- LOAD004 -------------------------------------------------------------------------------------

LOAD004_CASES = {
    "keyword-state-dict-and-alias": """
import torch
import torch.nn as nn

net = nn.Linear(3, 1)
net.load_state_dict(state_dict=torch.load("w.pt", weights_only=True), strict=False)  # expect: LOAD004
""",
    "result-printed": """
import torch
model = build()
print(model.load_state_dict(torch.load("w.pt", weights_only=True), strict=False))
""",
    "result-checked-later": """
import torch
model = build()
incompatible = model.load_state_dict(torch.load("w.pt", weights_only=True), strict=False)
if incompatible.missing_keys:
    raise SystemExit(1)
""",
    "strict-from-argument": """
import torch
def load(model, path, strict):
    model.load_state_dict(torch.load(path, weights_only=True), strict=strict)
""",
    "strict-true-positional": """
import torch
model.load_state_dict(torch.load("w.pt", weights_only=True), True)
""",
    "copy-blocks-from-a-live-backbone": """
import torch.nn as nn

def init_from_backbone(head_net: nn.Module, backbone: nn.Module) -> nn.Module:
    head_net.stem.load_state_dict(backbone.stem.state_dict(), strict=False)
    weights = backbone.layers.state_dict()
    head_net.layers.load_state_dict(weights, strict=False)
    return head_net
""",
    "restore-own-snapshot": """
def undo_patch(encoder):
    if encoder._saved_norms:
        encoder.load_state_dict(encoder._saved_norms, strict=False)
        encoder._saved_norms = None
""",
    "keys-compared-before-loading": """
import torch

def load_adapter(model, path):
    state = torch.load(path, weights_only=True)
    missing = set(model.adapter_keys()) - set(state)
    if missing:
        raise KeyError(sorted(missing))
    model.load_state_dict(state, strict=False)
""",
    "state-dict-of-an-unpickled-module-still-fires": """
import torch

old = torch.load("full_model.pt", weights_only=False)
model = Net()
model.load_state_dict(old.state_dict(), strict=False)  # expect: LOAD004
""",
    "snapshot-held-by-another-object-still-fires": """
import torch

class Runner:
    def restore(self):
        self.net.load_state_dict(self.ckpt, strict=False)  # expect: LOAD004
""",
    "second-load-after-a-checked-first-one-still-fires": """
import torch

def load_two(model, a, b):
    missing, unexpected = model.load_state_dict(torch.load(a, weights_only=True), strict=False)
    model.load_state_dict(torch.load(b, weights_only=True), strict=False)  # expect: LOAD004
    return missing, unexpected
""",
}


@pytest.mark.parametrize("name", sorted(LOAD004_CASES))
def test_load004(name: str) -> None:
    check(LOAD004_CASES[name])


# --- LOAD005 -------------------------------------------------------------------------------------

LOAD005_CASES = {
    "sklearn-dump-before-fit": {
        "train.py": """
import joblib
from sklearn.ensemble import RandomForestClassifier

clf = RandomForestClassifier(random_state=0)
joblib.dump(clf, "models/rf.joblib")  # expect: LOAD005
clf.fit(X, y)
""",
        "predict.py": """
import joblib
clf = joblib.load("models/rf.joblib")
""",
    },
    "torch-helper-trains-after-save": {
        "engine.py": """
def train_one_epoch(model, loader, opt):
    for x, y in loader:
        opt.zero_grad()
        loss = (model(x) - y).pow(2).mean()
        loss.backward()
        opt.step()
""",
        "train.py": """
import torch
from engine import train_one_epoch
from model import Net

def main():
    model = Net()
    opt = torch.optim.Adam(model.parameters())
    torch.save(model.state_dict(), "net.pt")  # expect: LOAD005, LOAD006
    for epoch in range(10):
        train_one_epoch(model, loader, opt)

if __name__ == "__main__":
    main()
""",
    },
    "fine-tune-loaded-model-then-save": """
from tensorflow import keras
model = keras.models.load_model("base.keras")
model.fit(x, y)
model.save("tuned.keras")
""",
    "scaler-saved-model-fitted": """
import joblib
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression
scaler = StandardScaler().fit(X)
joblib.dump(scaler, "scaler.joblib")
clf = LogisticRegression().fit(scaler.transform(X), y)
joblib.dump(clf, "clf.joblib")
""",
    "saved-by-helper-after-training": """
from tensorflow import keras
from utils import save_artifacts
model = keras.Sequential([keras.layers.Dense(1)])
model.save("untrained.keras")
model.fit(x, y)
save_artifacts(model, "out")
""",
    "reassigned-before-training": """
from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(1)])
model.save("a.keras")
model = keras.Sequential([keras.layers.Dense(2)])
model.fit(x, y)
model.save("b.keras")
""",
}


@pytest.mark.parametrize("name", sorted(LOAD005_CASES))
def test_load005(name: str) -> None:
    check(LOAD005_CASES[name])


# --- LOAD006 -------------------------------------------------------------------------------------

LOAD006_CASES = {
    "state-dict-through-variable": """
import torch
state = model.module.state_dict()
torch.save(state, "ddp.pt")  # expect: LOAD006
""",
    "resume-checkpoint-without-config": """
import torch
torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch}, "last.pt")  # expect: LOAD006
""",
    "full-model-and-torchscript": """
import torch
torch.save(model, "full.pt")
torch.jit.save(torch.jit.script(model), "model.ts")
""",
    "hf-save-pretrained": """
import torch
from transformers import AutoModelForSequenceClassification
model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased")
model.save_pretrained("out")
torch.save(model.state_dict(), "out/extra.pt")
""",
    "yaml-config-next-to-weights": """
import torch
import yaml
with open("cfg.yaml", "w") as f:
    yaml.safe_dump(cfg, f)
torch.save(model.state_dict(), "w.pt")
""",
    "training-state-that-is-not-a-model": """
import torch

def save_run_state(out, optimizer, lr_scheduler, grad_scaler, train_loader):
    torch.save(optimizer.state_dict(), f"{out}/optimizer.bin")
    torch.save(lr_scheduler.state_dict(), f"{out}/scheduler.bin")
    state = grad_scaler.state_dict()
    torch.save(state, f"{out}/scaler.pt")
    torch.save(train_loader.state_dict(), f"{out}/loader.pt")
""",
    "test-scratch-file": {
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
    "weights-helper-in-a-library-still-fires": """
import torch

def export_for_deploy(model, path):
    model.fuse()
    torch.save(model.state_dict(), path)  # expect: LOAD006
""",
}


@pytest.mark.parametrize("name", sorted(LOAD006_CASES))
def test_load006(name: str) -> None:
    check(LOAD006_CASES[name])


# --- SAFE002 -------------------------------------------------------------------------------------

SAFE002_CASES = {
    "unsafe-switch": """
import keras
keras.config.enable_unsafe_deserialization()  # expect: SAFE002
model = keras.models.load_model("m.keras")
""",
    "named-function-lambda": """
from tensorflow import keras

def to_unit(x):
    return x / 255.0

inp = keras.Input((28, 28))
model = keras.Model(inp, keras.layers.Lambda(to_unit)(inp))  # expect: SAFE002
model.save("m.keras")
""",
    "framework-function-lambda": """
import tensorflow as tf
inp = tf.keras.Input((4,))
model = tf.keras.Model(inp, tf.keras.layers.Lambda(tf.nn.relu)(inp))
model.save("m.keras")
""",
    "lambda-in-savedmodel": """
import tensorflow as tf
inp = tf.keras.Input((4,))
other = tf.keras.Model(inp, tf.keras.layers.Lambda(lambda t: t + 1)(inp))
other.save("export/other", save_format="tf")
""",
    "safe-mode-from-variable": """
import keras
model = keras.models.load_model("m.keras", safe_mode=SAFE)
""",
}


@pytest.mark.parametrize("name", sorted(SAFE002_CASES))
def test_safe002(name: str) -> None:
    # the file-level Lambda flag is only about whole-model saves; LOAD001 is not the subject here
    check(SAFE002_CASES[name], ("SAFE002",))


# --- ENV001 --------------------------------------------------------------------------------------

_TORCH_TRAIN = 'import torch\ntorch.save(model.state_dict(), "m.pt")\n'
_SKLEARN_TRAIN = """
import joblib
from sklearn.linear_model import Ridge
reg = Ridge().fit(X, y)
joblib.dump(reg, "ridge.joblib")
"""

ENV001_CASES = {
    "conda-pin": {
        "train.py": _TORCH_TRAIN,
        "environment.yml": "name: x\ndependencies:\n  - python=3.11\n  - pytorch=2.3.1\n",
    },
    "conda-pip-loose": {
        "train.py": _TORCH_TRAIN,
        "environment.yml": "name: x\ndependencies:\n  - python=3.11\n  - pip:\n    - torch>=2.0  # expect: ENV001\n",
    },
    "poetry-caret": {
        "train.py": _TORCH_TRAIN,
        "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\ntorch = "^2.1"  # expect: ENV001\n',
    },
    "poetry-exact": {
        "train.py": _TORCH_TRAIN,
        "pyproject.toml": '[tool.poetry.dependencies]\ntorch = "2.1.0"\n',
    },
    "local-version-and-extras": {
        "train.py": 'import tensorflow as tf\nmodel = tf.keras.Sequential()\nmodel.save("m.keras")\n',
        "requirements.txt": "tensorflow[and-cuda]==2.16.1\n",
    },
    "cuda-wheel-pin": {
        "train.py": _TORCH_TRAIN,
        "requirements.txt": "--extra-index-url https://download.pytorch.org/whl/cu121\ntorch==2.3.1+cu121\n",
    },
    "second-framework-missing": {
        "train.py": _TORCH_TRAIN,
        "fit_ridge.py": _SKLEARN_TRAIN,
        "requirements.txt": "torch==2.3.1  # expect: ENV001\nnumpy==1.26.4\n",
    },
    "setup-cfg-range": {
        "train.py": _SKLEARN_TRAIN,
        "setup.cfg": "[options]\ninstall_requires =\n    numpy==1.26.4\n    scikit-learn>=1.3  # expect: ENV001\n",
    },
    "pinned-in-one-file-is-enough": {
        "train.py": _SKLEARN_TRAIN,
        "requirements.txt": "scikit-learn==1.5.1\n",
        "pyproject.toml": '[project]\nname = "demo"\ndependencies = ["scikit-learn>=1.3"]\n',
    },
    "torchvision-is-not-torch": {
        "train.py": _TORCH_TRAIN,
        "requirements.txt": "torchvision==0.18.1  # expect: ENV001\npytorch-lightning==2.2.0\n",
    },
    "no-dependency-file-project": {
        "train.py": _TORCH_TRAIN.replace("torch.save(", "torch.save(  # expect: ENV001\n    ", 1),
        "predict.py": 'import torch\nstate = torch.load("m.pt", weights_only=True)\n',
    },
    "package-name-is-not-a-dependency": {
        "train.py": 'import torch\nimport keras\nkeras.Sequential().save("m.keras")\ntorch.save(net, "n.pt")\n',
        "pyproject.toml": '[project]\nname = "keras"\ndependencies = ["torch>=2.1"]  # expect: ENV001\n',
    },
    "author-name-is-not-an-entry": {
        "train.py": 'import keras\nmodel = keras.Sequential()\nmodel.save("m.keras")\n',
        "pyproject.toml": (
            '[project]\nname = "demo"\nauthors = [\n    {name = "Keras fans", email = "k@example.org"},\n]\n'
            'dependencies = ["tensorflow>=2.16"]  # expect: ENV001\n'
        ),
    },
    "framework-own-source-tree": {
        "keras/callbacks/embeddings.py": (
            "import keras\n\nclass EmbeddingSaver(keras.callbacks.Callback):\n"
            "    def on_epoch_end(self, epoch, logs=None):\n"
            '        self.model.save_weights(f"{self.log_dir}/emb-{epoch}.weights.h5")\n'
        ),
        "pyproject.toml": '[project]\nname = "keras"\ndependencies = ["numpy", "h5py"]\n',
    },
    "library-module-saves-where-its-caller-says": {
        "src/ckpt/io.py": (
            "import os\nimport torch\n\n"
            "def save_state(model, output_dir):\n"
            '    torch.save(model.state_dict(), os.path.join(output_dir, "model.bin"))\n'
        ),
        "setup.py": 'from setuptools import setup\nsetup(name="ckpt", install_requires=["torch>=2.0"])\n',
    },
    "library-function-called-by-a-script": {
        "src/ckpt/io.py": (
            "import os\nimport torch\n\n"
            "def save_state(model, output_dir):\n"
            '    torch.save(model.state_dict(), os.path.join(output_dir, "model.bin"))\n'
        ),
        "train.py": (
            "import torch\nfrom ckpt.io import save_state\n\n"
            "def main():\n    net = torch.nn.Linear(2, 2)\n    save_state(net, 'out')\n\n"
            'if __name__ == "__main__":\n    main()\n'
        ),
        "requirements.txt": "torch>=2.0  # expect: ENV001\n",
    },
    "script-saves-into-its-output-folder": {
        "train.py": (
            "import argparse, os\nimport torch\n\n"
            "def main(args):\n    net = torch.nn.Linear(2, 2)\n"
            '    torch.save(net.state_dict(), os.path.join(args.out, "model.pt"))\n\n'
            'if __name__ == "__main__":\n    main(argparse.ArgumentParser().parse_args())\n'
        ),
        "utils.py": "import torch\n",
        "requirements.txt": "torch>=2.0  # expect: ENV001\n",
    },
    "package-cli-writes-where-its-user-says": {
        "src/ckpt/consolidate.py": (
            "import argparse\nimport torch\n\n"
            "def main(args):\n    state = torch.load(args.src, weights_only=True)\n"
            "    torch.save(state, args.dst)\n\n"
            'if __name__ == "__main__":\n    main(argparse.ArgumentParser().parse_args())\n'
        ),
        "src/ckpt/__init__.py": "",
        "pyproject.toml": '[project]\nname = "ckpt"\ndependencies = ["torch>=2.1"]\n',
    },
    "setup-py-extras-key-is-not-an-entry": {
        "train.py": _TORCH_TRAIN,
        "setup.py": (
            'from setuptools import setup\nsetup(\n    name="demo",\n'
            '    extras_require={"pytorch": ["lightning"]},\n'
            '    install_requires=["torch>=2.1"],  # expect: ENV001\n)\n'
        ),
    },
    "saves-only-in-tests": {
        "src/lib.py": "import torch\n\ndef build():\n    return torch.nn.Linear(2, 2)\n",
        "tests/test_export.py": 'import torch\n\ndef test_roundtrip(tmp_path):\n    torch.save(model.state_dict(), tmp_path / "m.pt")\n',
        "requirements.txt": "torch>=2.0\n",
    },
    "script-besides-tests": {
        "train.py": _TORCH_TRAIN,
        "tests/test_train.py": 'import torch\n\ndef test_save(tmp_path):\n    torch.save(model.state_dict(), tmp_path / "m.pt")\n',
        "requirements.txt": "torch>=2.0  # expect: ENV001\n",
    },
    "monorepo-two-projects": {
        "a/train.py": _TORCH_TRAIN,
        "a/requirements.txt": "torch  # expect: ENV001\n",
        "b/train.py": _SKLEARN_TRAIN,
        "b/requirements.txt": "scikit-learn==1.5.1\n",
    },
}


@pytest.mark.parametrize("name", sorted(ENV001_CASES))
def test_env001(name: str) -> None:
    check(ENV001_CASES[name], ("ENV001",))


def test_env001_reported_once_per_project() -> None:
    project = {
        "train_a.py": _TORCH_TRAIN,
        "train_b.py": _TORCH_TRAIN,
        "requirements.txt": "torch\n",
    }
    found = [d for d in lint(project) if d.code == "ENV001"]
    assert [(d.path, d.line) for d in found] == [("requirements.txt", 1)]


def test_single_script_without_dependency_file_is_not_judged() -> None:
    assert not [d for d in lint(_SKLEARN_TRAIN) if d.code == "ENV001"]
