"""LOAD001 (custom-objects-not-given): Flags `load_model(...)` of a Keras model that uses custom objects (a `Layer`/`Model` subclass, a custom loss, metric or activation function, a `Lambda` layer) when the load passes no `custom_objects=`, runs outside a `custom_object_scope`, and not every custom class is registered with `register_keras_serializable`."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from preplint.analysis.artifacts import artifact_events, partners
from preplint.analysis.context import FileContext
from preplint.analysis.custom import (
    custom_classes_defined,
    custom_objects_used,
    project_custom_classes,
    registers_globally,
)
from preplint.analysis.records import ArtifactEvent, CustomObject
from preplint.analysis.saving import (
    H5,
    KERAS_FULL_SAVES,
    _artifact,
    _related,
    function_around,
    keras_saves,
    saved_model_objects,
)
from preplint.diagnostics import Edit, Fix, Related
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts
from preplint.facts.paths import basename, suffix
from preplint.facts.project import ProjectIndex, shared_folders
from preplint.rules import Finding, rule


def _unresolved(path: str) -> bool:
    return not path or "*" in basename(path)


def _nearest(facts: FileFacts, events: list[ArtifactEvent]) -> list[ArtifactEvent]:
    """The partner events closest to this file: two projects linted together may reuse one path."""
    if len(events) < 2:
        return events
    best = max(shared_folders(e.file, facts.path) for e in events)
    return [e for e in events if shared_folders(e.file, facts.path) == best]


def _same_expression_saves(
    facts: FileFacts, index: ProjectIndex, load: Call
) -> list[ArtifactEvent]:
    """Saves earlier in the same function to the same (unresolved) path expression: `tmp + "/m.keras"`."""
    target = load.arg(0, "filepath")
    if target is None:
        return []
    out: list[ArtifactEvent] = []
    for e in artifact_events(facts, index):
        if e.api not in KERAS_FULL_SAVES:
            continue
        save = facts.call_by_id[e.call]
        path = (
            save.arg(0, "filepath")
            if save.method == "save" or e.api == "keras-checkpoint"
            else save.arg(1, "filepath")
        )
        if (
            save.scope == load.scope
            and save.stmt < load.stmt
            and path is not None
            and path.value.text == target.value.text
        ):
            out.append(e)
    return out


def _written_here(facts: FileFacts, load: Call) -> bool:
    """The (unresolved) path the load reads was handed earlier in the same function to a
    checkpoint callback or a save: `OrbaxCheckpoint(directory=ckpt_dir)` ... `load_model(ckpt_dir)`."""
    target = load.arg(0, "filepath")
    if target is None or target.value.kind not in ("name", "attr"):
        return False
    for call in facts.calls_in_scope(load.scope):
        if call.stmt >= load.stmt or call.id == load.id:
            continue
        leaf = call.callee.rsplit(".", 1)[-1]
        writer = (
            call.qualname.startswith("keras.callbacks.")
            or "Checkpoint" in leaf
            or call.method in ("save", "save_model", "export")
        )
        if writer and any(a.value.text == target.value.text for a in call.args):
            return True
    return False


def _within(path: str, loader: str) -> bool:
    """Whether a file lies in the loader's folder or below it (its project, not a neighbour's)."""
    folder = posixpath.dirname(loader)
    return not folder or path.startswith(folder + "/")


def _out_of_reach(facts: FileFacts, index: ProjectIndex, obj: CustomObject, load: Call) -> bool:
    """A class defined inside another function (or a `Lambda` built in another test function):
    no model this load can read holds it, and no `custom_objects=` here could name it."""
    owner = index.file(obj.file)
    if owner is None:
        return False
    if obj.kind == "lambda":
        site = next((c for c in owner.calls if c.span == obj.span), None)
        fn = owner.function_by_qualname.get(site.scope) if site is not None else None
        if fn is None or not fn.name.startswith("test"):
            return False
    else:
        cls = owner.class_by_name.get(obj.name)
        if cls is None or cls.span != obj.span:
            cls = next((c for c in owner.classes if c.span == obj.span), None)
        fn = function_around(owner, cls) if cls is not None else None
        if fn is None:
            return False
    if owner is not facts:
        return True
    return not (load.scope == fn.qualname or load.scope.startswith(fn.qualname + "."))


_IMPORTABLE_PACKAGES = ("keras", "keras_hub", "keras_cv", "keras_nlp")


def _found_by_module(index: ProjectIndex, obj: CustomObject) -> bool:
    """Keras 3 imports `module.ClassName` when the module lies in one of its own packages
    (`keras`, `keras_hub`...): a module-level class there is found at load time, registered or not."""
    if obj.kind == "lambda":
        return False
    owner = index.file(obj.file)
    if owner is None:
        return False
    parts = owner.module.split(".")
    if not any(
        parts[i] in _IMPORTABLE_PACKAGES and parts[i + 1] == "src" for i in range(len(parts) - 1)
    ):
        return False
    cls = owner.class_by_name.get(obj.name)
    if cls is not None:
        return cls.span == obj.span and function_around(owner, cls) is None
    fn = owner.function_by_qualname.get(obj.name)
    return fn is not None and not fn.cls


def _saved_format(index: ProjectIndex, event: ArtifactEvent) -> str:
    """'tf' for a SavedModel directory, 'h5', 'keras', or '' when unknown."""
    f = index.file(event.file)
    if f is None:
        return ""
    call = f.call_by_id[event.call]
    fmt = call.kwarg_const("save_format")
    if isinstance(fmt, str):
        return fmt.lower()
    ext = suffix(event.path)
    if ext in H5:
        return "h5"
    if ext == "keras":
        return "keras"
    return "tf" if event.path and not _unresolved(event.path) and not ext else ""


@rule(
    "LOAD001",
    "custom-objects-not-given",
    severity="error",
    probe="load-without-custom-objects",
    fixable=True,
    positives=[
        """
import tensorflow as tf

class Attention(tf.keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units
    def get_config(self):
        return {**super().get_config(), "units": self.units}

model = tf.keras.Sequential([tf.keras.Input((10, 8)), Attention(16), tf.keras.layers.Dense(1)])
model.fit(x, y)
model.save("attn.keras")
restored = tf.keras.models.load_model("attn.keras")  # expect: LOAD001
""",
        {
            "config.py": 'MODEL_PATH = "models/ecg.keras"\n',
            "layers.py": """
from tensorflow import keras

class SqueezeExcite(keras.layers.Layer):
    def call(self, x):
        return x
""",
            "train.py": """
from tensorflow import keras
from config import MODEL_PATH
from layers import SqueezeExcite

inp = keras.Input((100, 12))
out = keras.layers.Dense(5)(SqueezeExcite()(inp))
model = keras.Model(inp, out)
model.fit(x, y)
model.save(MODEL_PATH)
""",
            "predict.py": """
from keras.models import load_model
from config import MODEL_PATH

def predict(x):
    model = load_model(MODEL_PATH)  # expect: LOAD001
    return model.predict(x)
""",
        },
        {
            "metrics.py": """
import tensorflow as tf

def focal_loss(y_true, y_pred):
    return tf.reduce_mean(y_pred)
""",
            "train.py": """
import tensorflow as tf
from metrics import focal_loss

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.compile(optimizer="adam", loss=focal_loss)
model.fit(x, y)
model.save("fraud.keras")
""",
            "predict.py": """
import argparse
import tensorflow as tf

parser = argparse.ArgumentParser()
parser.add_argument("--model")
args = parser.parse_args()
model = tf.keras.models.load_model("fraud.keras")  # expect: LOAD001
""",
        },
        # module-import-alias-and-config-module
        {
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
        # builder-in-another-module
        {
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
        # argparse-path-uses-project-classes
        {
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
        # custom-activation-same-file
        """
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
        # checkpoint-callback-is-a-save
        {
            "train.py": """
import keras

class Gate(keras.layers.Layer):
    def call(self, x):
        return x

model = keras.Sequential([keras.Input((4,)), Gate(), keras.layers.Dense(1)])
model.compile("adam", "mse")
best = keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True)
model.fit(x, y, validation_split=0.2, callbacks=[best])
""",
            "serve.py": """
import keras
model = keras.models.load_model("best.keras")  # expect: LOAD001
""",
        },
        # lambda-layer-linked
        {
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
    ],
    negatives=[
        """
import keras

@keras.saving.register_keras_serializable(package="demo")
class Scale(keras.layers.Layer):
    def call(self, x):
        return x * 2

model = keras.Sequential([keras.Input((4,)), Scale(), keras.layers.Dense(1)])
model.save("scaled.keras")
restored = keras.models.load_model("scaled.keras")
""",
        """
from tensorflow import keras
from layers import Attention

with keras.saving.custom_object_scope({"Attention": Attention}):
    model = keras.models.load_model("attn.keras")
other = keras.models.load_model("attn.keras", custom_objects={"Attention": Attention})
""",
        {
            "train.py": """
import tensorflow as tf
from metrics import focal_loss

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.compile(optimizer="adam", loss=focal_loss)
model.fit(x, y)
model.save("fraud.keras")
""",
            "metrics.py": "def focal_loss(y_true, y_pred):\n    return y_pred\n",
            "predict.py": """
import tensorflow as tf
# the loss only matters to a compiled model
model = tf.keras.models.load_model("fraud.keras", compile=False)
""",
        },
        # all-registered-tf-utils
        {
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
        # custom-objects-variable
        {
            "layers.py": "import keras\nclass A(keras.layers.Layer):\n    pass\n",
            "predict.py": """
import keras
from layers import A
CUSTOM = {"A": A}
model = keras.models.load_model("a.keras", custom_objects=CUSTOM)
""",
        },
        # built-in-only-model-nonliteral
        {
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
        # keras-callback-is-not-serialised
        {
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
        # torch-project-only
        {
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
        # global-custom-objects
        """
import tensorflow as tf

class Swish(tf.keras.layers.Layer):
    def call(self, x):
        return x * tf.sigmoid(x)

tf.keras.utils.get_custom_objects()["Swish"] = Swish
model = tf.keras.Sequential([Swish()])
model.save("swish.keras")
restored = tf.keras.models.load_model("swish.keras")
""",
        # other-function-builds-another-model
        """
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
        # subclassed-parts-inside-registered-model
        """
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
        # class-in-a-keras-package-module
        {
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
        # custom-objects-of-another-model-in-the-file
        """
import tensorflow as tf

class Residual(tf.keras.Model):
    def call(self, x):
        return x

def huber(y_true, y_pred):
    return y_pred

net = Residual()
net.compile(optimizer="adam", loss=huber)
net.fit(x, y)
clf = tf.keras.Sequential([tf.keras.layers.Dense(16, activation="relu"), tf.keras.layers.Dense(3)])
clf.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
clf.fit(x, y)
clf.save("clf.keras")
restored = tf.keras.models.load_model("clf.keras")
""",
        # checkpoint-of-a-built-in-model-beside-custom-classes
        """
from tensorflow import keras

class Scaled(keras.layers.Layer):
    def call(self, x):
        return x * 2

mlp = keras.models.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])
mlp.compile("sgd", "sparse_categorical_crossentropy")
mlp.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("mlp.keras")])
mlp = keras.models.load_model("mlp.keras")
demo = keras.models.Sequential([Scaled()])
""",
        # registered-outer-model-builds-an-inner-layer
        {
            "train.py": """
import keras

class Mixer(keras.layers.Layer):
    def call(self, x):
        return x

@keras.saving.register_keras_serializable()
class Tower(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.mix = Mixer()
    def call(self, x):
        return self.mix(x)

print(Mixer()(x).shape)  # a shape check of the part alone
tower = Tower()
tower.compile("adam", "mse")
tower.fit(x, y)
tower.save("tower.keras")
""",
            "serve.py": """
import keras
import train
tower = keras.models.load_model("tower.keras")
""",
        },
        # checkpoint-callback-writes-the-loaded-model
        {
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
        # model-built-in-setup-classes-of-other-tests
        """
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
        # class-defined-after-the-save
        """
import os
import keras

def test_export(tmp, x):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = os.path.join(tmp, "m.keras")
    model.save(path)
    keras.models.load_model(path)

    class Wrapped(keras.Model):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
        def call(self, x):
            return self.inner(x)

    Wrapped(model)(x)
""",
        # base-args-only
        """
import keras

class Named(keras.layers.Layer):
    def __init__(self, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
""",
        # savedmodel-and-keras-formats-fine
        """
import tensorflow as tf

class Net(tf.keras.Model):
    def call(self, x):
        return x

net = Net()
net.save("export/net", save_format="tf")
net.save("net.keras")
""",
        # h5-built-ins-with-custom-loss
        """
from tensorflow import keras

def smooth_l1(y_true, y_pred):
    return y_pred

model = keras.Sequential([keras.layers.Dense(1)])
model.compile("adam", loss=smooth_l1)
model.save("reg.h5")
""",
        # keras3-plain-arguments
        """
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
        # built-in-base-covers-forwarded-arguments
        """
import keras

class WideDense(keras.layers.Dense):
    def __init__(self, units, **kwargs):
        super().__init__(units * 2, **kwargs)
""",
        # unseen-base-is-not-judged
        """
import keras
from plugins import Configurable

class Tagged(Configurable, keras.layers.Layer):
    def __init__(self, tag, **kwargs):
        super().__init__(**kwargs)
        self.tag = tag
""",
    ],
)
def custom_objects_not_given(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags `load_model(...)` of a Keras model that uses custom objects (a `Layer`/`Model` subclass,
    a custom loss, metric or activation function, a `Lambda` layer) when the load passes no
    `custom_objects=`, runs outside a `custom_object_scope`, and not every custom class is
    registered with `register_keras_serializable`. The custom objects are looked up in the same
    file, in the file that saved the artifact (linked by its path, also through constants in a
    shared `config.py`), or among the project's custom Keras classes when the load path is not
    a literal.

    Why is this bad?:
    A saved Keras model refers to its custom parts by name. Loading it in a process where the
    names are unknown fails with `Unknown layer` / `Could not locate function`, or, with some
    versions, silently falls back to a generic layer that computes something else.

    Example:
    ```python
    model = keras.models.load_model("attn.keras")  # the model holds AttentionPooling
    ```

    Use instead:
    ```python
    model = keras.models.load_model("attn.keras", custom_objects={"AttentionPooling": AttentionPooling})
    # or decorate AttentionPooling with @keras.saving.register_keras_serializable()
    ```

    References:
    - https://keras.io/guides/serialization_and_saving/#custom-objects
    """
    facts, index = ctx.facts, ctx.index
    if registers_globally(facts):
        return
    for event in ctx.artifact_events:
        if event.api != "keras-load":
            continue
        call = facts.call_by_id[event.call]
        if call.has_kwarg("custom_objects") or any(w in fw.CUSTOM_OBJECT_SCOPE for w in call.withs):
            continue
        compiled = call.kwarg_const("compile", True) is not False
        unsafe_allowed = call.kwarg_const("safe_mode", True) is False
        savers = (
            _nearest(
                facts, [e for e in partners(index, event, "save") if e.api in KERAS_FULL_SAVES]
            )
            if not _unresolved(event.path)
            else []
        )
        if not savers and _unresolved(event.path):
            savers = _same_expression_saves(facts, index, call)
        if savers and all(_saved_format(index, s) == "tf" for s in savers):
            continue  # a SavedModel directory revives its layers without their classes
        if not savers and event.path and not _unresolved(event.path) and not suffix(event.path):
            continue  # a SavedModel directory
        candidates: list[CustomObject] = []
        related: list[Related] = []
        if not savers and _unresolved(event.path) and _written_here(facts, call):
            # A checkpoint callback of this function wrote it: the model built here.
            candidates.extend(custom_objects_used(facts, index, call.scope))
            savers_known = True
        else:
            savers_known = bool(savers)
        for saver in savers:
            owner = index.file(saver.file)
            if owner is not None:
                candidates.extend(saved_model_objects(owner, index, saver))
                link = _related(index, saver, "model saved here")
                if link is not None:
                    related.append(link)
        if not savers_known or (savers and all(s.file != facts.path for s in savers)):
            candidates.extend(custom_objects_used(facts, index))
            candidates.extend(custom_classes_defined(facts, index))
        if not savers_known:
            unknown_savers = [e for e in keras_saves(index) if _unresolved(e.path)]
            if _unresolved(event.path):
                candidates.extend(project_custom_classes(index, posixpath.dirname(facts.path)))
                unknown_savers = [e for e in keras_saves(index) if _within(e.file, facts.path)]
            for saver in unknown_savers:
                owner = index.file(saver.file)
                if owner is not None and owner is not facts:
                    candidates.extend(saved_model_objects(owner, index, saver))
        needed: dict[str, CustomObject] = {}
        for obj in candidates:
            if obj.registered or (obj.compile_only and not compiled):
                continue
            if _found_by_module(index, obj) or _out_of_reach(facts, index, obj, call):
                continue
            if obj.kind == "lambda" and obj.anonymous and unsafe_allowed:
                continue
            needed.setdefault(obj.name, obj)
        if not needed:
            continue
        names = ", ".join(f"`{n}`" for n in sorted(needed))
        target = f"`{event.path}`" if event.path and not _unresolved(event.path) else "the model"
        message = (
            f"`load_model` of {target} without `custom_objects=`: the model uses custom objects {names} "
            "that are not registered; pass them in `custom_objects=` or decorate them with "
            "`@keras.saving.register_keras_serializable()`"
        )
        for obj in sorted(needed.values(), key=lambda o: (o.file, o.span.line))[:3]:
            if obj.file and obj.span.line:
                related.append(
                    Related(obj.file, obj.span.line, obj.span.column, f"`{obj.name}` defined here")
                )
        fix = _custom_objects_fix(facts, index, call, needed)
        yield Finding(
            call.span, message, related=tuple(related), artifact=_artifact(event.path), fix=fix
        )


def _custom_objects_fix(
    facts: FileFacts, index: ProjectIndex, call: Call, needed: dict[str, CustomObject]
) -> Fix | None:
    """`custom_objects={...}` for objects the loading file can name: defined or imported there,
    or importable the way another project file imports them (copied import, e.g. `from layers import X`)."""
    if any(obj.kind == "lambda" for obj in needed.values()):
        return None  # a Lambda needs safe_mode, not a name
    imports: list[str] = []
    for name in sorted(needed):
        if (
            name in facts.imports
            or name in facts.class_by_name
            or name in facts.function_by_qualname
        ):
            continue
        source = _import_line_for(index, facts, name)
        if source is None:
            return None
        imports.append(source)
    span = call.span
    mapping = ", ".join(f'"{n}": {n}' for n in sorted(needed))
    separator = ", " if call.args else ""
    edits = [
        Edit(
            span.end_line,
            span.end_column - 1,
            span.end_line,
            span.end_column - 1,
            f"{separator}custom_objects={{{mapping}}}",
        )
    ]
    if imports:
        line = facts.last_import_line + 1
        edits.insert(
            0, Edit(line, 1, line, 1, "".join(f"{text}\n" for text in sorted(set(imports))))
        )
    return Fix(f"Pass `custom_objects={{{mapping}}}`", tuple(edits))


def _import_line_for(index: ProjectIndex, facts: FileFacts, name: str) -> str | None:
    """How another file of the same folder imports `name` (`from layers import FeatureCross`)."""
    folder = facts.path.rpartition("/")[0]
    for other in index.files_in_folder(folder, facts):
        if other is facts:
            continue
        qual = other.imports.get(name)
        if qual and qual.rsplit(".", 1)[-1] == name and "." in qual:
            return f"from {qual.rsplit('.', 1)[0]} import {name}"
        if name in other.class_by_name or name in other.function_by_qualname:
            stem = other.path.rpartition("/")[2].removesuffix(".py")
            if stem.isidentifier():
                return f"from {stem} import {name}"
    return None
