"""LOAD: saving and loading models so that what is loaded is what was trained."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from preplint.analysis.code_roles import is_pytest_function
from preplint.analysis.context import project_context
from preplint.analysis.training import training_steps
from preplint.diagnostics import Edit, Fix, Related
from preplint.facts import frameworks as fw
from preplint.facts.artifacts import ArtifactEvent, artifact_events
from preplint.facts.custom import (
    CustomObject,
    custom_classes_defined,
    custom_objects_used,
    keras_class_kind,
    project_custom_classes,
    registers_globally,
    resolve_class,
    resolve_function,
)
from preplint.facts.deps import dependency_entries, governing
from preplint.facts.model import Call, ClassDef, FileFacts, Function, Value
from preplint.facts.objects import binding_of
from preplint.facts.paths import basename, paths_match, suffix
from preplint.facts.project import ProjectIndex, shared_folders
from preplint.rules import Finding, rule

_H5 = ("h5", "hdf5")
_KERAS_FULL_SAVES = ("keras-save",)


def _artifact(path: str) -> str | None:
    """The artifact path when it is fully known (confirmation can open it)."""
    return path if path and "*" not in path else None


def _unresolved(path: str) -> bool:
    return not path or "*" in basename(path)


def _keras_saves(index: ProjectIndex) -> list[ArtifactEvent]:
    return [e for e in index.events if e.api in _KERAS_FULL_SAVES and e.obj_kind != "hf-model"]


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
        if e.api not in _KERAS_FULL_SAVES:
            continue
        save = facts.call_by_id[e.call]
        path = save.arg(0, "filepath") if save.method == "save" else save.arg(1, "filepath")
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


def _saved_model_objects(
    owner: FileFacts, index: ProjectIndex, saver: ArtifactEvent
) -> tuple[CustomObject, ...]:
    """Custom objects of the model a save writes: those of the saving function when it builds the
    model itself, else those of the whole file (the model comes from elsewhere in it)."""
    call = owner.call_by_id[saver.call]
    root = saver.obj.split(".", 1)[0] if saver.obj and "(" not in saver.obj else ""
    builds_here = bool(root) and any(
        a.scope == call.scope and root in a.targets and a.op == "=" and a.stmt <= call.stmt
        for a in owner.assigns
    )
    if builds_here:
        # A class the saving function defines only after the save is not in the saved model.
        later = {
            c.name
            for c in owner.classes
            if c.stmt_start > call.stmt
            and _function_around(owner, c) is owner.function_by_qualname.get(call.scope)
        }
        return tuple(
            o
            for o in custom_objects_used(owner, index, call.scope)
            if not (o.file == owner.path and o.name in later)
        )
    if saver.obj.startswith("self.") and "(" not in saver.obj:
        # `self.model` built in `setUp`/`__init__`: the scopes that assign it, not the whole file.
        scopes = {a.scope for a in owner.assigns_by_target.get(saver.obj, ()) if a.op == "="}
        if scopes:
            return tuple(o for s in sorted(scopes) for o in custom_objects_used(owner, index, s))
    return custom_objects_used(owner, index)


def _function_around(facts: FileFacts, cls: ClassDef) -> Function | None:
    """The innermost function whose body defines the class, or None at module (or class) level."""
    best: Function | None = None
    for fn in facts.functions:
        if fn.stmt_start < cls.stmt_start <= fn.stmt_end and (
            best is None or fn.stmt_start > best.stmt_start
        ):
            best = fn
    return best


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
        fn = _function_around(owner, cls) if cls is not None else None
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
        return cls.span == obj.span and _function_around(owner, cls) is None
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
    if ext in _H5:
        return "h5"
    if ext == "keras":
        return "keras"
    return "tf" if event.path and not _unresolved(event.path) and not ext else ""


def _related(index: ProjectIndex, event: ArtifactEvent, message: str) -> Related | None:
    f = index.file(event.file)
    if f is None:
        return None
    span = f.call_by_id[event.call].span
    return Related(event.file, span.line, span.column, message)


# --- LOAD001 ----------------------------------------------------------------------------------


@rule(
    "LOAD001",
    "custom-objects-not-given",
    severity="error",
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
    ],
)
def custom_objects_not_given(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
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
    if registers_globally(facts):
        return
    for event in artifact_events(facts, index):
        if event.api != "keras-load":
            continue
        call = facts.call_by_id[event.call]
        if call.has_kwarg("custom_objects") or any(w in fw.CUSTOM_OBJECT_SCOPE for w in call.withs):
            continue
        compiled = call.kwarg_const("compile", True) is not False
        unsafe_allowed = call.kwarg_const("safe_mode", True) is False
        savers = (
            _nearest(
                facts, [e for e in index.partners(event, "save") if e.api in _KERAS_FULL_SAVES]
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
                candidates.extend(_saved_model_objects(owner, index, saver))
                link = _related(index, saver, "model saved here")
                if link is not None:
                    related.append(link)
        if not savers_known or (savers and all(s.file != facts.path for s in savers)):
            candidates.extend(custom_objects_used(facts, index))
            candidates.extend(custom_classes_defined(facts, index))
        if not savers_known:
            unknown_savers = [e for e in _keras_saves(index) if _unresolved(e.path)]
            if _unresolved(event.path):
                candidates.extend(
                    o for o in project_custom_classes(index) if _within(o.file, facts.path)
                )
                unknown_savers = [e for e in _keras_saves(index) if _within(e.file, facts.path)]
            for saver in unknown_savers:
                owner = index.file(saver.file)
                if owner is not None and owner is not facts:
                    candidates.extend(_saved_model_objects(owner, index, saver))
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
    for other in index.files:
        if other is facts or other.path.rpartition("/")[0] != folder:
            continue
        qual = other.imports.get(name)
        if qual and qual.rsplit(".", 1)[-1] == name and "." in qual:
            return f"from {qual.rsplit('.', 1)[0]} import {name}"
        if name in other.class_by_name or name in other.function_by_qualname:
            stem = other.path.rpartition("/")[2].removesuffix(".py")
            if stem.isidentifier():
                return f"from {stem} import {name}"
    return None


# --- LOAD002 ----------------------------------------------------------------------------------

_BASE_LAYER_ARGS = frozenset(
    {
        "name",
        "dtype",
        "trainable",
        "dynamic",
        "autocast",
        "input_shape",
        "input_dim",
        "batch_input_shape",
    }
)
# Serialising a nested layer/model to a dict: `cls(**config)` then passes the dict to `__init__`.
# (activations, initializers ... serialise to what their `keras.*.get` in `__init__` accepts.)
_SERIALIZERS = frozenset(
    {
        "keras.saving.serialize_keras_object",
        "keras.utils.serialize_keras_object",
        "keras.layers.serialize",
    }
)


@rule(
    "LOAD002",
    "custom-layer-not-serializable",
    severity="error",
    positives=[
        """
import tensorflow as tf

class ResidualBlock(tf.keras.layers.Layer):  # expect: LOAD002
    def __init__(self, filters, kernel_size=3, **kwargs):
        super().__init__(**kwargs)
        self.conv = tf.keras.layers.Conv2D(filters, kernel_size, padding="same")
    def call(self, x):
        return x + self.conv(x)
""",
        """
import keras
from keras import layers

@keras.saving.register_keras_serializable()
class SmallNet(keras.Model):  # expect: LOAD002
    def __init__(self, num_classes):
        super().__init__()
        self.head = layers.Dense(num_classes)
    def call(self, x):
        return self.head(x)

model = SmallNet(10)
model.fit(x, y)
model.save("small.keras")
""",
        """
import keras

class Wrapper(keras.layers.Layer):  # expect: LOAD002
    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner
    def get_config(self):
        return {**super().get_config(), "inner": keras.saving.serialize_keras_object(self.inner)}
""",
        """
import keras

class Residual(keras.layers.Layer):  # expect: LOAD002
    def __init__(self, block, **kwargs):
        super().__init__(**kwargs)
        self.block = block
    def call(self, x):
        return x + self.block(x)
""",
        """
import keras

def hard_swish(x):
    return x * keras.ops.relu6(x + 3.0) / 6.0

class GatedUnit(keras.layers.Layer):  # expect: LOAD002
    def __init__(self, units, gate_activation="sigmoid", **kwargs):
        super().__init__(**kwargs)
        self.proj = keras.layers.Dense(units)
        self.gate = keras.layers.Dense(units, activation=gate_activation)
    def call(self, x):
        return self.proj(x) * self.gate(x)

model = keras.Sequential([keras.Input((12,)), GatedUnit(24, gate_activation=hard_swish)])
model.save("gated.keras")
""",
        {
            "requirements.txt": "tensorflow==2.15.1\n",
            "layers.py": """
from tensorflow import keras

class Temperature(keras.layers.Layer):  # expect: LOAD002
    def __init__(self, temperature=1.5, **kwargs):
        super().__init__(**kwargs)
        self.temperature = temperature
    def call(self, logits):
        return logits / self.temperature
""",
        },
    ],
    negatives=[
        """
import keras

class PoolBase(keras.layers.Layer):
    def __init__(self, pool_size, strides=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = pool_size
        self.strides = strides
    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides}

class MaxPool(PoolBase):
    def __init__(self, pool_size=2, strides=None, **kwargs):
        super().__init__(pool_size, strides, **kwargs)
    def call(self, x):
        return keras.ops.max_pool(x, self.pool_size, self.strides)
""",
        """
import keras

class Swish(keras.layers.Layer):
    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.beta = beta
    def call(self, x):
        return x * keras.ops.sigmoid(self.beta * x)

class Projection(keras.layers.Layer):
    def __init__(self, width, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(width)
    def call(self, x):
        return self.dense(x)

model = keras.Sequential([keras.Input((8,)), Projection(16), Swish()])
model.save("proj.keras")
""",
        """
import keras
from featurelib import ConfigurableMixin

class Bucketize(ConfigurableMixin, keras.layers.Layer):
    def __init__(self, boundaries, **kwargs):
        super().__init__(**kwargs)
        self.boundaries = boundaries
""",
        """
import tensorflow as tf
from tensorflow.keras import layers

class L2Normalize(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
    def call(self, x):
        return tf.math.l2_normalize(x, axis=-1)

class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
    def call(self, x):
        return x * self.factor
    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
""",
        """
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3)
""",
    ],
)
def custom_layer_not_serializable(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags a Keras `Layer`/`Model` subclass whose `__init__` takes arguments beyond `**kwargs` but
    that defines no `get_config`, or whose `get_config` serialises nested Keras objects
    (`keras.saving.serialize_keras_object(self.inner)`) with no `from_config` to rebuild them.

    A `get_config` inherited from a project base class covers the arguments that base's
    `__init__` takes (Keras's own `Layer`/`Model` do not count); a class with a base that cannot
    be seen is not reported. Keras 3 records a *layer*'s `__init__` arguments by itself when
    all of them are plain str/int/float/bool/None values (or lists, tuples, dicts of them), so a
    layer is reported only when an argument is, or may be, something else: used in the class as
    a layer or a callable, annotated or defaulted as one, given a layer, a function, a lambda or
    an array where the class is built, or with no evidence either way. A `Model` subclass gets no
    such recording, and a project on Keras 2 (`tf_keras`, or dependencies pinning `keras<3` /
    `tensorflow<2.16`) neither: every uncovered argument counts there.

    Why is this bad?:
    Saving writes the layer's config; loading calls `cls(**config)`. Without `get_config` the
    constructor arguments are not in the file (tf.keras refuses to save, or the load fails with
    a missing-argument error); with nested objects serialised to dicts and no `from_config`, the
    constructor receives a dict where it expects a layer. The model saves, but does not load.

    Example:
    ```python
    class ResidualBlock(keras.layers.Layer):
        def __init__(self, filters, **kwargs):
            super().__init__(**kwargs)
            self.filters = filters
    ```

    Use instead:
    ```python
    class ResidualBlock(keras.layers.Layer):
        def __init__(self, filters, **kwargs):
            super().__init__(**kwargs)
            self.filters = filters

        def get_config(self):
            return {**super().get_config(), "filters": self.filters}
    ```

    References:
    - https://keras.io/guides/serialization_and_saving/#custom-objects
    """
    if facts.classes and _only_weights_saved(index):
        return
    for cls in facts.classes:
        kind = keras_class_kind(facts, cls.name, index)
        if kind not in ("layer", "model"):
            continue
        own_args = [p for p in cls.init_params if p not in _BASE_LAYER_ARGS]
        if "__init__" not in cls.methods or not own_args:
            continue
        if "get_config" not in cls.methods:
            message = _missing_config_message(facts, index, cls, kind, own_args)
            if message is None:
                continue
        elif "from_config" not in cls.methods and _serialises_nested(facts, cls.name):
            message = (
                f"Keras {kind} `{cls.name}` serialises nested Keras objects in `get_config` but has no "
                "`from_config` to deserialise them: loading passes dicts to `__init__`"
            )
        else:
            continue
        yield Finding(cls.span, message, artifact=_class_artifact(facts, cls.name, index))


def _missing_config_message(
    facts: FileFacts, index: ProjectIndex, cls: ClassDef, kind: str, own_args: list[str]
) -> str | None:
    """Why a class without `get_config` does not round-trip, or None when it does (or may)."""
    unknown_base, inherits, covered = _ancestry(facts, cls, index)
    if unknown_base:
        return None  # a base we cannot see may well define get_config
    uncovered = [p for p in own_args if p not in covered]
    # Handed up to `Layer.__init__`, whose (Keras 3) `get_config` returns it.
    if (
        inherits
        and "activity_regularizer" in uncovered
        and "activity_regularizer" in _super_init_args(facts, _init_of(facts, cls))
    ):
        uncovered.remove("activity_regularizer")
    if not uncovered:
        return None
    args = ", ".join(f"`{p}`" for p in uncovered[:4])
    if inherits:
        return (
            f"Keras {kind} `{cls.name}` takes {args} in `__init__`, which the `get_config` it "
            "inherits does not return: the saved model cannot be rebuilt at load time; "
            "override `get_config` and add those arguments"
        )
    init = _init_of(facts, cls)
    if kind == "layer" and init is not None and not _keras2(facts, index):
        if init.positional_only > 1:
            return (
                f"Keras layer `{cls.name}` has no `get_config` and its `__init__` takes "
                "positional-only arguments, which Keras 3 cannot record for the default "
                f"`get_config`: return {args} from `get_config`"
            )
        evidence = _auto_config_evidence(facts, cls, init, uncovered, index)
        objects = [(p, why) for p, (state, why) in evidence.items() if state == "object"]
        if objects:
            param, why = objects[0]
            return (
                f"Keras layer `{cls.name}` has no `get_config` and its `__init__` argument "
                f"`{param}` {why}: Keras 3 records `__init__` arguments by itself only when all "
                "are plain str/int/float/bool/None values, so the model cannot be saved and "
                "rebuilt; implement `get_config` (and `from_config` for nested Keras objects)"
            )
        unknown = [p for p in uncovered if evidence.get(p, ("unknown", ""))[0] != "basic"]
        if not unknown:
            return None  # Keras 3 records the plain arguments itself
        args = ", ".join(f"`{p}`" for p in unknown[:4])
    return (
        f"Keras {kind} `{cls.name}` takes {args} in `__init__` but has no `get_config`: "
        "the saved model cannot be rebuilt at load time; return those arguments from `get_config`"
    )


def _only_weights_saved(index: ProjectIndex) -> bool:
    """The project saves Keras weights but never a whole model: configs are never read."""
    saves = [e for e in index.events if e.action == "save" and e.api.startswith("keras-save")]
    return bool(saves) and all(e.api == "keras-save-weights" for e in saves)


def _serialises_nested(facts: FileFacts, cls_name: str) -> bool:
    """`get_config` serialises a nested Keras object and `__init__` does not deserialise it."""
    config, init = f"{cls_name}.get_config", f"{cls_name}.__init__"
    if not any(c.scope == config and c.qualname in _SERIALIZERS for c in facts.calls):
        return False
    return not any(
        c.scope == init and c.qualname.startswith("keras.") and "deserialize" in c.qualname
        for c in facts.calls
    )


def _class_artifact(facts: FileFacts, cls_name: str, index: ProjectIndex) -> str | None:
    """A saved model that uses the class: where `--confirm` can try to load it."""
    for event in _keras_saves(index):
        owner = index.file(event.file)
        if owner is None or _artifact(event.path) is None:
            continue
        used = custom_objects_used(owner, index) + custom_classes_defined(owner, index)
        if any(o.name == cls_name and o.file == facts.path for o in used):
            return event.path
    return None


# What a class inherits: the Keras bases that are the framework itself (their `get_config` returns
# only name/dtype/trainable), and bases that change nothing about serialisation.
_FRAMEWORK_BASES = frozenset(
    {"Layer", "Model", "Sequential", "Functional", "Operation", "KerasSaveable", "Trainer"}
)
_NEUTRAL_BASES = frozenset({"object", "abc.ABC", "ABC", "typing.Generic", "Generic"})
_BASIC_CALLS = frozenset({"int", "float", "str", "bool", "len", "round", "abs"})
_BASIC_ANNOTATION = re.compile(
    r"^(?:\s|[\[\],|.]|int|float|str|bool|None|Optional|Union|tuple|Tuple|list|List|dict|Dict"
    r"|Sequence|Mapping|Literal|typing|\.\.\.|'[^']*'|\"[^\"]*\")+$"
)
_OBJECT_ANNOTATION = re.compile(
    r"Layer|Model|Callable|Tensor|ndarray|Array|Module|Sequential|Initializer|Regularizer"
    r"|Constraint|Optimizer|Loss|Metric|Activation|Function|Any\b"
)
# Keras configuration getters that return a string (`keras.config.image_data_format()`).
_KERAS_STR_CALLS = frozenset({"image_data_format", "floatx", "standardize_data_format"})
_ARRAY_CALLS = frozenset(
    {"array", "asarray", "constant", "convert_to_tensor", "tensor", "zeros", "ones", "full"}
)
_OBJECT_ROOTS = frozenset({"keras", "tensorflow", "numpy", "torch", "jax", "tf_keras"})
# Calls on an argument that only a layer/model answers.
_LAYER_METHODS = frozenset(
    {
        "build",
        "call",
        "compute_output_shape",
        "compute_output_spec",
        "get_weights",
        "set_weights",
        "predict",
        "count_params",
        "summary",
    }
)
# Keras calls that take layers as their first argument.
_LAYER_CONTAINERS = frozenset(
    {
        "keras.models.Sequential",
        "keras.models.Model",
        "keras.layers.TimeDistributed",
        "keras.layers.Bidirectional",
        "keras.layers.RNN",
    }
)
_VERSION_CLAUSE = re.compile(r"(==|~=|<=|<|>=|>|!=)\s*v?(\d+)(?:\.(\d+))?")


def _keras2(facts: FileFacts, index: ProjectIndex) -> bool:
    """The file evidently runs Keras 2: it imports tf_keras (or a Keras-2-only module), asks for
    legacy Keras, or a dependency file governing it pins keras<3 / tensorflow<2.16 / tf-keras."""
    if facts.tf_keras or any(q.startswith("keras.engine") for q in facts.imports.values()):
        return True
    if any("TF_USE_LEGACY_KERAS" in a.keys for a in facts.assigns):
        return True
    for path in governing(index, facts.path):
        for entry in dependency_entries(index.dependency_files[path]):
            if entry.framework != "tensorflow":
                continue
            if entry.name == "tf-keras":
                return True
            limit = (3, 0) if entry.name == "keras" else (2, 16)
            for op, major, minor in _VERSION_CLAUSE.findall(entry.spec):
                version = (int(major), int(minor or 0))
                if op in ("==", "~=", "<=") and version < limit:
                    return True
                if op == "<" and version <= limit:
                    return True
    return False


def _init_of(facts: FileFacts, cls: ClassDef) -> Function | None:
    for fn in facts.functions:
        if (
            fn.name == "__init__"
            and fn.cls.rsplit(".", 1)[-1] == cls.name
            and cls.stmt_start <= fn.stmt_start <= cls.stmt_end
        ):
            return fn
    return None


def _keras_source_class(
    facts: FileFacts, base: str, index: ProjectIndex
) -> tuple[FileFacts, ClassDef] | None:
    """Linting Keras itself: `keras.src.layers.pooling.base_pooling.BasePooling` is canonicalised to
    `keras.layers.BasePooling`; find the project class of that name in a `keras` package."""
    project = project_context(index)
    table = project.classes_by_name
    if table is None:
        table = {}
        for owner, c in index.all_classes():
            if "keras" in owner.module.split("."):
                table.setdefault(c.name, []).append((owner, c))
        project.classes_by_name = table
    found = table.get(base.rsplit(".", 1)[-1], [])
    if not found:
        return None
    return max(found, key=lambda fc: shared_folders(fc[0].path, facts.path))


def _super_init_args(facts: FileFacts, init: Function | None) -> set[str]:
    """Parameters an `__init__` hands on to `super().__init__(...)`."""
    if init is None:
        return set()
    out: set[str] = set()
    for call in facts.calls:
        if call.scope == init.qualname and call.method == "__init__" and not call.callee:
            for arg in call.args:
                out.update(n for n in arg.value.names if n in init.params)
    return out


def _ancestry(
    facts: FileFacts, cls: ClassDef, index: ProjectIndex, depth: int = 0
) -> tuple[bool, bool, set[str]]:
    """(some base is unknown, some ancestor defines `get_config`, the arguments it covers).

    Keras's own `Layer`/`Model` do not count: their `get_config` knows nothing of a subclass's
    arguments. A project ancestor with `get_config` covers the arguments its `__init__` takes; a
    built-in Keras layer (`Dense`, `Wrapper`...) covers those the subclass hands to its `__init__`.
    """
    unknown, inherits = False, False
    covered: set[str] = set()
    if depth > 8:
        return True, inherits, covered
    for base in cls.bases:
        leaf = base.rsplit(".", 1)[-1]
        if base in _NEUTRAL_BASES or base.startswith("typing."):
            continue
        if base.startswith("keras.") and leaf in _FRAMEWORK_BASES:
            continue
        parent = resolve_class(facts, base, index)
        if parent is None and base.startswith("keras."):
            parent = _keras_source_class(facts, base, index)
        if parent is not None and parent[1] is not cls:
            owner, pcls = parent
            p_unknown, p_inherits, p_covered = _ancestry(owner, pcls, index, depth + 1)
            unknown |= p_unknown
            if "get_config" in pcls.methods:
                inherits = True
                covered |= set(pcls.init_params) | p_covered
                if "__init__" not in pcls.methods:
                    covered |= _inherited_init_params(owner, pcls, index, depth + 1)
            elif p_inherits:
                inherits = True
                covered |= p_covered
            continue
        if base.startswith("keras."):
            if base.startswith("keras.layers."):  # Dense, Conv2D, Wrapper...: own get_config
                inherits = True
                covered |= _super_init_args(facts, _init_of(facts, cls))
            continue
        unknown = True
    return unknown, inherits, covered


def _inherited_init_params(
    facts: FileFacts, cls: ClassDef, index: ProjectIndex, depth: int
) -> set[str]:
    """The `__init__` parameters a class without its own `__init__` takes from its project bases."""
    if depth > 8:
        return set()
    for base in cls.bases:
        parent = resolve_class(facts, base, index)
        if (
            parent is None
            and base.startswith("keras.")
            and base.rsplit(".", 1)[-1] not in _FRAMEWORK_BASES
        ):
            parent = _keras_source_class(facts, base, index)
        if parent is not None and parent[1] is not cls:
            if "__init__" in parent[1].methods:
                return set(parent[1].init_params)
            return _inherited_init_params(parent[0], parent[1], index, depth + 1)
    return set()


def _value_evidence(
    facts: FileFacts, index: ProjectIndex, value: Value, scope: str, stmt: int, depth: int = 0
) -> tuple[str, str]:
    """('basic' | 'object' | 'unknown', what the value is): whether Keras 3 can record it."""
    text = value.text
    if value.kind == "lambda" or re.search(r"\blambda\b", text):
        return "object", "a `lambda`"
    if value.kind in ("const", "unary", "tuple", "list", "dict", "fstring", "binop"):
        items = [_value_evidence(facts, index, v, scope, stmt, depth + 1) for v in value.items]
        for found in items:
            if found[0] == "object":
                return found
        names = [n for n in value.names if n not in ("True", "False", "None")]
        if not value.calls and "(" not in text and all(n in facts.constants for n in names):
            return "basic", ""
        if items and all(found[0] == "basic" for found in items):
            return "basic", ""
        return "unknown", ""
    if value.kind in ("name", "attr"):
        if value.const is not None or value.text in facts.constants:
            return "basic", ""
        if index.constant(facts, text) is not None:
            return "basic", ""
        if resolve_function(facts, text, index) is not None:
            return "object", f"the function `{text}`"
        if resolve_class(facts, text, index) is not None:
            return "object", f"the class `{text}`"
        qual = facts.resolve(text)
        if qual and qual.split(".", 1)[0] in _OBJECT_ROOTS:
            return "object", f"`{text}`"
        if value.kind == "name" and depth < 4:
            assign = facts.reaching_assign(text, scope, stmt)
            if assign is not None and assign.op == "=" and len(assign.targets) == 1:
                found = _value_evidence(
                    facts, index, assign.value, assign.scope, assign.stmt, depth + 1
                )
                if found[0] == "object":
                    return "object", f"`{text}` ({found[1]})"
                return found
            if assign is None:
                through = _passed_through(facts, index, text, scope, depth)
                if through is not None:
                    return through
        return "unknown", ""
    if value.kind == "call":
        callee = text.split("(", 1)[0].strip()
        if callee in _BASIC_CALLS or callee.rsplit(".", 1)[-1] in _KERAS_STR_CALLS:
            return "basic", ""
        leaf = callee.rsplit(".", 1)[-1]
        qual = facts.resolve(callee)
        if leaf[:1].isupper() or resolve_class(facts, callee, index):
            return "object", f"a `{leaf}` instance"
        if qual and qual.split(".", 1)[0] in _OBJECT_ROOTS and leaf in _ARRAY_CALLS:
            return "object", f"an array (`{callee}(...)`)"
    return "unknown", ""


def _construction_sites(
    facts: FileFacts, cls: ClassDef, init: Function, index: ProjectIndex
) -> list[tuple[FileFacts, Call]]:
    """Calls of the class, in its file (within the function that defines it, for a local class)
    and in the project files that import it."""
    project = project_context(index)
    table = project.construction_sites
    if table is None:
        table = {}
        for f in index.files:
            for call in f.calls:
                leaf = call.callee.rsplit(".", 1)[-1]
                if leaf[:1].isupper():
                    table.setdefault(leaf, []).append((f, call))
        project.construction_sites = table
    enclosing = init.cls.rpartition(".")[0]
    out: list[tuple[FileFacts, Call]] = []
    for owner, call in table.get(cls.name, []):
        if owner is facts:
            if call.callee != cls.name:
                continue
            if enclosing and not (
                call.scope == enclosing or call.scope.startswith(enclosing + ".")
            ):
                continue
        else:
            if enclosing:
                continue
            found = resolve_class(owner, call.callee, index)
            if found is None or found[0] is not facts or found[1].name != cls.name:
                continue
        out.append((owner, call))
    return out


def _where(facts: FileFacts, owner: FileFacts, call: Call) -> str:
    if owner is facts:
        return f"on line {call.span.line}"
    return f"in {basename(owner.path)}:{call.span.line}"


def _usage_evidence(facts: FileFacts, init: Function, param: str) -> str:
    """How the class itself uses an argument as a layer or a callable, or ''."""
    cls_scope = init.cls
    holders = {param}
    for a in facts.assigns:
        if (
            a.scope == init.qualname
            and a.op == "="
            and a.value.kind == "name"
            and a.value.text == param
        ):
            holders.update(t for t in a.targets if t.startswith("self."))
    loop_vars = {
        t
        for a in facts.assigns
        if a.op in ("for", "comp")
        and a.scope.startswith(cls_scope + ".")
        and any(n in holders for n in a.value.names)
        for t in a.targets
    }
    for call in facts.calls:
        if not call.scope.startswith(cls_scope + "."):
            continue
        own = call.callee in holders and (call.callee != param or call.scope == init.qualname)
        if own:
            return "is called in the class"
        if call.callee in loop_vars:
            return "is iterated and its items are called"
        if call.receiver in holders and call.method in _LAYER_METHODS:
            return f"is used as a layer (`.{call.method}()`)"
        if call.qualname in _LAYER_CONTAINERS:
            first = call.arg(0, "layer")
            given = (first.value, *first.value.items) if first is not None else ()
            if any(v.kind in ("name", "attr") and v.text in holders for v in given):
                return f"is passed to `{call.callee}`"
    return ""


def _auto_config_evidence(
    facts: FileFacts, cls: ClassDef, init: Function, args: list[str], index: ProjectIndex
) -> dict[str, tuple[str, str]]:
    """Per argument: ('basic' | 'object' | 'unknown', why). Keras 3 records `__init__` arguments
    for the default `get_config` only when every value is a str/int/float/bool/None (or lists,
    tuples, dicts of them); a layer, a callable, an array or any other object turns it off."""
    sites = _construction_sites(facts, cls, init, index)
    out = {param: _param_evidence(facts, init, param, index, sites, 0) for param in args}
    # Values that `**kwargs` passes to the base (`dtype=`, `activity_regularizer=`) count too.
    for owner, call in sites:
        for arg in call.args:
            if arg.keyword and arg.keyword not in init.params and arg.keyword not in out:
                found = _value_evidence(owner, index, arg.value, call.scope, call.stmt)
                if found[0] == "object":
                    out[arg.keyword] = (
                        "object",
                        f"is given {found[1]} {_where(facts, owner, call)}",
                    )
    return out


def _param_evidence(
    facts: FileFacts,
    init: Function,
    param: str,
    index: ProjectIndex,
    sites: list[tuple[FileFacts, Call]],
    depth: int,
) -> tuple[str, str]:
    """What one `__init__` argument holds: its use in the class, annotation, default, and the
    values the construction sites pass."""
    usage = _usage_evidence(facts, init, param)
    if usage:
        return "object", usage
    position = init.params.index(param)
    annotation = init.annotations[position] if len(init.annotations) > position else ""
    default = init.defaults[position] if len(init.defaults) > position else None
    default_kind = (
        _value_evidence(facts, index, default, "", init.stmt_start, depth + 1)
        if default is not None
        else None
    )
    if default is not None and default.text == "None":
        default_kind = ("none", "")  # fine when omitted, but no evidence about what is passed
    if (
        annotation
        and _OBJECT_ANNOTATION.search(annotation)
        and not _BASIC_ANNOTATION.match(annotation)
    ):
        return "object", f"is annotated `{annotation}`"
    if default_kind is not None and default_kind[0] == "object":
        return "object", f"defaults to {default_kind[1]}"
    site_kinds: list[str] = []
    for owner, call in sites:
        arg = call.arg(position - 1, param)
        if arg is None:
            if any(a.star for a in call.args):
                site_kinds.append("unknown")
            elif default_kind is not None:
                site_kinds.append("basic" if default_kind[0] == "none" else default_kind[0])
            continue
        found = _value_evidence(owner, index, arg.value, call.scope, call.stmt, depth + 1)
        site_kinds.append(found[0])
        if found[0] == "object":
            return "object", f"is given {found[1]} {_where(facts, owner, call)}"
    if (
        bool(annotation and _BASIC_ANNOTATION.match(annotation))
        or (default_kind is not None and default_kind[0] == "basic")
        or bool(site_kinds and all(k == "basic" for k in site_kinds))
    ):
        return "basic", ""
    return "unknown", ""


def _passed_through(
    facts: FileFacts, index: ProjectIndex, name: str, scope: str, depth: int
) -> tuple[str, str] | None:
    """A parameter of an enclosing Keras class's `__init__` handed on to a part it builds
    (`self.block = Block(units)`): what the outer class's callers pass for it."""
    fn = facts.function_by_qualname.get(scope)
    if fn is None or fn.name != "__init__" or name not in fn.params or not fn.cls:
        return None
    leaf = fn.cls.rsplit(".", 1)[-1]
    cls = next(
        (
            c
            for c in facts.classes
            if c.name == leaf and c.stmt_start <= fn.stmt_start <= c.stmt_end
        ),
        None,
    )
    if cls is None:
        return None
    sites = _construction_sites(facts, cls, fn, index)
    return _param_evidence(facts, fn, name, index, sites, depth + 1)


# --- LOAD003 ----------------------------------------------------------------------------------


@rule(
    "LOAD003",
    "legacy-h5-format",
    severity="warning",
    positives=[
        """
import tensorflow as tf

@tf.keras.utils.register_keras_serializable()
class SentimentNet(tf.keras.Model):
    def __init__(self, vocab=20000, **kwargs):
        super().__init__(**kwargs)
        self.vocab = vocab
        self.out = tf.keras.layers.Dense(1)
    def call(self, x):
        return self.out(x)
    def get_config(self):
        return {**super().get_config(), "vocab": self.vocab}

model = SentimentNet()
model.fit(x, y)
model.save("sentiment.h5")  # expect: LOAD003
""",
        """
from tensorflow import keras
from tensorflow.keras import layers

class GeM(layers.Layer):
    def call(self, x):
        return x

model = keras.Sequential([layers.Conv2D(8, 3), GeM(), layers.Dense(3)])
model.fit(x, y)
model.save("exports/landmarks", save_format="h5")  # expect: LOAD003
keras.models.save_model(model, "backup.hdf5")  # expect: LOAD003
""",
    ],
    negatives=[
        """
from tensorflow import keras

model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
model.fit(x, y)
model.save("mnist_mlp.h5")
""",
        """
import keras

class Scale(keras.layers.Layer):
    def call(self, x):
        return x * 2

model = keras.Sequential([keras.Input((4,)), Scale()])
model.save("scaled.keras")
model.save_weights("scaled.weights.h5")
""",
    ],
)
def legacy_h5_format(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags a Keras model with custom or subclassed parts (a `Model` subclass, a custom `Layer`)
    saved to `.h5`/`.hdf5`, or with `save_format="h5"`.

    Why is this bad?:
    HDF5 is Keras's legacy format. Subclassed models cannot be saved to it at all in tf.keras,
    custom layers round-trip only through their `get_config`, and Keras 3 reads it through a
    compatibility path that drops features. The native `.keras` format stores the architecture,
    the config of custom objects and the weights together.

    Example:
    ```python
    model = SentimentNet()
    model.save("sentiment.h5")
    ```

    Use instead:
    ```python
    model.save("sentiment.keras")
    ```

    References:
    - https://keras.io/guides/serialization_and_saving/
    """
    custom: tuple[CustomObject, ...] | None = None
    for event in artifact_events(facts, index):
        if event.api != "keras-save" or event.obj_kind == "hf-model":
            continue
        call = facts.call_by_id[event.call]
        fmt = call.kwarg_const("save_format")
        is_h5 = (isinstance(fmt, str) and fmt.lower() in _H5) or (
            fmt is None and suffix(event.path) in _H5
        )
        if not is_h5:
            continue
        saved_parts = tuple(
            o for o in _saved_model_objects(facts, index, event) if o.kind in ("layer", "model")
        )
        parts = _parts_of(facts, index, event, call, saved_parts)
        if not parts:
            continue
        names = ", ".join(f"`{n}`" for n in parts)
        yield Finding(
            call.span,
            f"model with custom or subclassed parts ({names}) saved to legacy HDF5; save it as `.keras`",
            artifact=_artifact(event.path),
        )
    for call in facts.calls:
        if (
            call.qualname != "keras.callbacks.ModelCheckpoint"
            or call.kwarg_const("save_weights_only") is True
        ):
            continue
        path_arg = call.arg(0, "filepath")
        if path_arg is None:
            continue
        path = index.resolve_path(facts, path_arg.value, call.scope, call.stmt)
        if suffix(path) not in _H5:
            continue
        if custom is None:
            custom = _model_parts(facts, index)
        if custom:
            names = ", ".join(sorted({f"`{o.name}`" for o in custom}))
            yield Finding(
                call.span,
                f"checkpoint of a model with custom or subclassed parts ({names}) written to legacy HDF5; use a `.keras` path",
            )


def _model_parts(facts: FileFacts, index: ProjectIndex) -> tuple[CustomObject, ...]:
    return tuple(o for o in custom_objects_used(facts, index) if o.kind in ("layer", "model"))


def _parts_of(
    facts: FileFacts,
    index: ProjectIndex,
    event: ArtifactEvent,
    call: Call,
    custom: tuple[CustomObject, ...],
) -> list[str]:
    root = event.obj.split(".", 1)[0] if "(" not in event.obj else ""
    if root:
        b = binding_of(facts, root, call.scope, call.stmt, index)
        if b is not None and b.origin == "loaded":
            return []  # re-saving a loaded model: its parts are not visible here
        if b is not None and b.cls:
            kind = keras_class_kind(facts, b.cls, index)
            if kind == "model":
                return [b.cls.rsplit(".", 1)[-1]]
    return sorted({o.name for o in custom})


# --- LOAD004 ----------------------------------------------------------------------------------


@rule(
    "LOAD004",
    "non-strict-state-dict",
    severity="warning",
    positives=[
        """
import torch
import torchvision

model = torchvision.models.resnet34(num_classes=4)
state = torch.load("defects.pth", map_location="cpu", weights_only=True)
model.load_state_dict(state, strict=False)  # expect: LOAD004
model.eval()
""",
        """
import torch

class Predictor:
    def __init__(self, net, path):
        self.model = net
        self.model.load_state_dict(torch.load(path, weights_only=True)["model"], False)  # expect: LOAD004
        _ = self.model.load_state_dict(torch.load(path, weights_only=True), strict=False)  # expect: LOAD004
""",
    ],
    negatives=[
        """
import torch

model = Net()
missing, unexpected = model.load_state_dict(torch.load("m.pt", weights_only=True), strict=False)
assert not unexpected and all(k.startswith("fc.") for k in missing)
""",
        """
import logging
import torch

def restore(model, path):
    result = model.load_state_dict(torch.load(path, weights_only=True), strict=False)
    logging.info("missing keys: %s", result.missing_keys)
    model.load_state_dict(torch.load(path, weights_only=True))
    return model
""",
        """
from torch import nn

def warm_start(student: nn.Module, teacher: nn.Module) -> nn.Module:
    # copy the blocks both share; the student's extra layers keep their fresh weights
    student.encoder.load_state_dict(teacher.encoder.state_dict(), strict=False)
    return student
""",
        """
import torch

def load_head(model, path):
    state = torch.load(path, weights_only=True)
    unexpected = set(state) - set(model.head_keys())
    if unexpected:
        raise KeyError(sorted(unexpected))
    model.load_state_dict(state, strict=False)
""",
    ],
)
def non_strict_state_dict(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags `load_state_dict(..., strict=False)` whose result, the missing and unexpected keys, is
    thrown away.

    Why is this bad?:
    With `strict=False`, keys that do not match are skipped without a word. A renamed layer, a
    `module.` prefix left by `DataParallel`, or a checkpoint of another architecture then loads
    nothing into those layers, and they keep their random initial weights: predictions are noise
    and no error is raised.

    Example:
    ```python
    model.load_state_dict(state, strict=False)
    ```

    Use instead:
    ```python
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k.startswith("fc.") for k in missing), (missing, unexpected)
    ```

    References:
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.load_state_dict
    """
    used = _used_results(facts)
    for call in facts.method_calls("load_state_dict"):
        strict = call.arg(1, "strict")
        if strict is None or strict.value.const is not False or strict.value.kind != "const":
            continue
        if call.id in used:
            continue
        if _copies_live_weights(facts, index, call) or _keys_checked_by_hand(facts, call):
            continue
        yield Finding(
            call.span,
            "`load_state_dict(..., strict=False)` ignores its result: layers whose keys do not match keep "
            "their random weights silently; check `missing_keys`/`unexpected_keys` or load strictly",
        )


def _copies_live_weights(facts: FileFacts, index: ProjectIndex, call: Call) -> bool:
    """`dst.load_state_dict(src.state_dict(), strict=False)` from a module in memory, or
    `m.load_state_dict(m._kept_subset, strict=False)` restoring a snapshot `m` took of itself.

    Both are partial on purpose (initialising some blocks of a new module from a built one,
    putting back a few saved tensors) and neither reads a file whose keys could have drifted:
    the missing keys are the layers meant to keep their own weights.
    """
    arg = call.arg(0, "state_dict")
    if arg is None:
        return False
    value = arg.value
    if value.kind == "name":
        assign = facts.reaching_assign(value.text, call.scope, call.stmt)
        if assign is not None and assign.op == "=" and assign.value.kind == "call":
            value = assign.value
    if value.kind == "call":
        source = facts.call_by_id[value.call]
        if source.method != "state_dict" or not source.receiver or source.args:
            return False
        if source.receiver == call.receiver:
            return False
        b = binding_of(facts, source.receiver.split(".", 1)[0], call.scope, call.stmt, index)
        return b is None or b.kind not in ("torch-loaded", "unpickled")
    receiver = call.receiver
    return (
        value.kind == "attr"
        and receiver not in ("", "self", "cls")
        and value.text.startswith(receiver + ".")
    )


_KEY_CHECK = re.compile(r"missing|unexpected", re.I)


def _keys_checked_by_hand(facts: FileFacts, call: Call) -> bool:
    """The function works out the missing or unexpected keys itself before loading
    (`missing = set(expected) - set(state.keys())`, then raises or reports)."""
    for a in facts.assigns:
        if a.scope != call.scope or a.stmt >= call.stmt or a.op != "=":
            continue
        if not any(_KEY_CHECK.search(t.rsplit(".", 1)[-1]) for t in a.targets):
            continue
        if a.value.call >= 0 and facts.call_by_id[a.value.call].method == "load_state_dict":
            continue  # the result of an earlier load, not a check of this one
        if a.value.kind != "const" and (a.value.names or a.value.calls):
            return True
    return False


def _used_results(facts: FileFacts) -> set[int]:
    """Calls whose value is kept: assigned to a name other than `_`, passed on, or returned."""
    out: set[int] = set()
    for a in facts.assigns:
        if a.value.call >= 0 and any(t != "_" for t in a.targets) and a.op in ("=", "with"):
            out.add(a.value.call)
    for call in facts.calls:
        if call.parent >= 0:
            out.add(call.id)
    for fn in facts.functions:
        for value in fn.returns:
            out.update(value.calls)
    return out


# --- LOAD005 ----------------------------------------------------------------------------------

_MODEL_SAVE_APIS = frozenset(
    {"keras-save", "keras-save-weights", "torch-save", "pickle-dump", "jit-save"}
)
_SAVE_WORDS = re.compile(r"save|export|dump|checkpoint|persist|upload|log_model", re.I)


@rule(
    "LOAD005",
    "model-saved-before-training",
    severity="warning",
    positives=[
        """
from tensorflow import keras

MODEL_FILE = "churn.keras"

def train(x, y):
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.save(MODEL_FILE)  # expect: LOAD005
    model.fit(x, y, epochs=20)

def evaluate(x, y):
    model = keras.models.load_model(MODEL_FILE)
    return model.evaluate(x, y)
""",
        """
import torch
from torch import nn

net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
torch.save(net.state_dict(), "net.pt")  # expect: LOAD005
for epoch in range(10):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
""",
    ],
    negatives=[
        """
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=5)
model.save("m.keras")  # stage 1, kept in case fine-tuning diverges
model.fit(x, y, epochs=5)
model.save("m.keras")
""",
        """
import torch
from torch import nn

net = nn.Linear(4, 2)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
torch.save(net.state_dict(), "init.pt")  # the initial weights, on purpose
for epoch in range(10):
    loss = net(x).sum()
    loss.backward()
    opt.step()
    torch.save(net.state_dict(), f"epoch_{epoch}.pt")
torch.save(net.state_dict(), "final.pt")
""",
    ],
)
def model_saved_before_training(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags a model saved before the last `fit` / training loop that changes it, when no later save
    overwrites the artifact and the earlier artifact is what the inference path loads.

    Why is this bad?:
    The file holds the model as it was when it was saved: untrained, or trained for fewer epochs.
    The training that follows changes only the object in memory, and the inference script loads
    the stale file. Accuracy at the end of training looks fine; predictions are poor.

    Example:
    ```python
    model.compile(optimizer="adam", loss="mse")
    model.save("model.keras")
    model.fit(x, y, epochs=20)
    ```

    Use instead:
    ```python
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=20)
    model.save("model.keras")
    ```

    References:
    - https://keras.io/api/models/model_saving_apis/model_saving_and_loading/
    """
    events = artifact_events(facts, index)
    for event in events:
        if event.action != "save" or event.api not in _MODEL_SAVE_APIS:
            continue
        call = facts.call_by_id[event.call]
        if call.loops or call.in_condition:
            continue  # checkpoints written during training
        name = _saved_model_name(facts, call, event)
        if not name:
            continue
        kind = _kind(facts, index, name, call)
        if kind in ("preprocessor", "optimizer", "dataloader"):
            continue
        steps = training_steps(facts, index, name, call.scope, call.stmt)
        if not steps:
            continue
        last = max(s.stmt for s in steps)
        later = _later_saves(facts, index, name, call.scope, last, events)
        if any(p and paths_match(p, event.path) for p in later):
            continue
        loaders = index.loaders(event.path, near=facts.path) if event.path else []
        if later and not loaders:
            continue  # the trained model is saved elsewhere, and nothing loads this early file
        step = steps[-1]
        related = [
            Related(
                facts.path, step.span.line, step.span.column, f"trained again here ({step.what})"
            )
        ]
        for loader in loaders[:2]:
            link = _related(index, loader, "the earlier artifact is loaded here")
            if link is not None:
                related.append(link)
        target = f"`{event.path}`" if event.path else "the artifact"
        yield Finding(
            call.span,
            f"`{name}` is saved to {target} before it is trained (line {step.span.line}); the saved file "
            "holds the untrained model; save after the last training step",
            related=tuple(related),
            artifact=_artifact(event.path),
        )


def _saved_model_name(facts: FileFacts, call: Call, event: ArtifactEvent) -> str:
    """The dotted name of the saved model: `model` for model.save(...), torch.save(model.state_dict(), ...)."""
    if event.api in ("keras-save", "keras-save-weights") and call.receiver:
        return call.receiver
    arg = call.arg(0, "obj") or call.arg(0, "value") or call.arg(0, "model") or call.arg(0, "m")
    if arg is None:
        return ""
    return _model_of(facts, arg.value, call)


def _model_of(facts: FileFacts, value: Value, call: Call, depth: int = 0) -> str:
    if value.kind in ("name", "attr"):
        assign = facts.reaching_assign(value.text, call.scope, call.stmt)
        if depth < 2 and assign is not None and assign.value.kind == "call":
            inner = facts.call_by_id[assign.value.call]
            if inner.method == "state_dict" and inner.receiver:
                return inner.receiver
        return value.text
    if value.kind == "call":
        inner = facts.call_by_id[value.call]
        if inner.method in ("state_dict", "get_weights") and inner.receiver:
            return inner.receiver
    return ""


def _kind(facts: FileFacts, index: ProjectIndex, name: str, call: Call) -> str:
    b = binding_of(facts, name, call.scope, call.stmt, index)
    return b.kind if b is not None else ""


def _later_saves(
    facts: FileFacts,
    index: ProjectIndex,
    name: str,
    scope: str,
    after: int,
    events: tuple[ArtifactEvent, ...],
) -> list[str]:
    """Paths the model is saved to after a statement ('' when a helper saves it somewhere unknown)."""
    out: list[str] = []
    for e in events:
        if e.action != "save":
            continue
        c = facts.call_by_id[e.call]
        if c.scope == scope and c.stmt > after and _saved_model_name(facts, c, e) == name:
            out.append(e.path)
    for c in facts.calls:
        if c.scope != scope or c.stmt <= after:
            continue
        if c.qualname == "keras.callbacks.ModelCheckpoint":
            arg = c.arg(0, "filepath")
            if arg is not None:
                out.append(index.resolve_path(facts, arg.value, c.scope, c.stmt))
        elif _SAVE_WORDS.search(c.callee or "") and any(name in a.value.names for a in c.args):
            out.append("")
    # A ModelCheckpoint passed to the last fit writes the trained model too.
    for c in facts.calls:
        if c.scope == scope and c.qualname == "keras.callbacks.ModelCheckpoint" and c.stmt <= after:
            arg = c.arg(0, "filepath")
            if arg is not None and c.kwarg_const("save_weights_only") is not True:
                out.append(index.resolve_path(facts, arg.value, c.scope, c.stmt))
    return out


# --- LOAD006 ----------------------------------------------------------------------------------

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
    ],
    negatives=[
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
    ],
)
def weights_without_architecture(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
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

    References:
    - https://pytorch.org/tutorials/beginner/saving_loading_models.html
    """
    events = artifact_events(facts, index)
    if _architecture_saved(facts, events):
        return
    for event in events:
        call = facts.call_by_id[event.call]
        if is_pytest_function(facts, call.scope):
            continue  # a test's scratch file: the test rebuilds the model itself to read it back
        if event.api == "keras-save-weights" and call.method == "save_weights":
            what = f"`{call.receiver}.save_weights`"
        elif event.api == "torch-save" and _is_bare_state_dict(facts, call):
            what = "`torch.save` of a `state_dict`"
        else:
            continue
        yield Finding(
            call.span,
            f"{what} without the architecture or constructor arguments: the loader must rebuild the same "
            "class with the same arguments; save the config next to the weights (or the whole model)",
            artifact=_artifact(event.path),
        )


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
        return any(
            _model_state_dict(facts, facts.call_by_id[c])
            for c in value.calls
            if c in facts.call_by_id
        )
    return False


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
