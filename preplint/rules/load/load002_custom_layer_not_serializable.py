"""LOAD002 (custom-layer-not-serializable): Flags a Keras `Layer`/`Model` subclass whose `__init__` takes arguments beyond `**kwargs` but that defines no `get_config`, or whose `get_config` serialises nested Keras objects (`keras.saving.serialize_keras_object(self.inner)`) with no `from_config` to rebuild them."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.custom import keras_class_kind
from preplint.analysis.keras_config import (
    BASE_LAYER_ARGS,
    class_artifact,
    class_save_reach,
    missing_config_message,
    only_weights_saved,
    serialises_nested,
)
from preplint.diagnostics import Severity
from preplint.rules import Finding, rule


@rule(
    "LOAD002",
    "custom-layer-not-serializable",
    severity="error",
    probe="load-without-custom-objects",
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
        # inherits-project-base
        """
from tensorflow.keras import layers

class Base(layers.Layer):
    pass

class Scaled(Base):  # expect: LOAD002
    def __init__(self, factor, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.factor = factor
""",
        # keras3-layer-given-a-layer
        """
import keras

class Shortcut(keras.layers.Layer):  # expect: LOAD002
    def __init__(self, branch=None, **kwargs):
        super().__init__(**kwargs)
        self.branch = branch
    def call(self, x):
        return x + self.branch(x)

model = keras.Sequential([keras.Input((4,)), Shortcut(keras.layers.Dense(4))])
model.save("shortcut.keras")
""",
        # keras3-layer-given-a-function
        """
import keras

def mish(x):
    return x * keras.ops.tanh(keras.ops.softplus(x))

class Act(keras.layers.Layer):  # expect: LOAD002
    def __init__(self, fn="relu", **kwargs):
        super().__init__(**kwargs)
        self.fn = keras.activations.get(fn)
    def call(self, x):
        return self.fn(x)

model = keras.Sequential([keras.Input((4,)), Act(fn=mish)])
model.save("act.keras")
""",
        # model-subclass-gets-no-auto-config
        """
import keras

class Tiny(keras.Model):  # expect: LOAD002
    def __init__(self, width=8):
        super().__init__()
        self.d = keras.layers.Dense(width)
    def call(self, x):
        return self.d(x)

model = Tiny(16)
model.fit(x, y)
model.save("tiny.keras")
""",
        # keras2-pinned-plain-arguments
        {
            "requirements.txt": "tensorflow>=2.12,<2.16\n",
            "layers.py": """
from tensorflow import keras

class Shift(keras.layers.Layer):  # expect: LOAD002
    def __init__(self, offset=0.5, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset
""",
        },
        # tf-keras-imported
        """
import tf_keras as keras

class Shift(keras.layers.Layer):  # expect: LOAD002
    def __init__(self, offset=0.5, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset
""",
        # inherited-get-config-covers-base-arguments
        """
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
    ],
    negatives=[
        # custom-layer-never-saved (preview part, at info)
        """
from tensorflow import keras

class Dense2(keras.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
    def call(self, x):
        return self.activation(x)

model = keras.models.Sequential([Dense2(30, activation=keras.activations.relu), Dense2(1)])
model.compile(loss="mse", optimizer="sgd")
model.fit(x, y)
model.evaluate(x, y)
""",
        # template-layer-in-a-script-never-built (preview part, at info)
        """
from tensorflow import keras

class Template(keras.layers.Layer):
    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner
    def call(self, x):
        return self.inner(x)

if __name__ == "__main__":
    model = keras.Sequential([keras.layers.Dense(1)])
    model.fit(x, y)
""",
        # layer-exported-as-savedmodel (preview part, at info)
        """
import tensorflow as tf

class Gain(tf.keras.layers.Layer):
    def __init__(self, gain, **kwargs):
        super().__init__(**kwargs)
        self.gain = tf.Variable(gain)
    def call(self, x):
        return x * self.gain

model = tf.keras.Sequential([tf.keras.Input((3,)), Gain(tf.ones(3))])
model.fit(x, y)
model.export("serving/gain")
tf.saved_model.save(model, "serving/gain2")
""",
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
def custom_layer_not_serializable(ctx: FileContext) -> Iterator[Finding]:
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

    Severity follows what is seen: an error when a model holding the class is saved whole in a
    format that stores configs (`.keras`, `.h5`, a `ModelCheckpoint` of the whole model); a
    warning for a class the checked files never build (a library module whose users save it).

    Preview:
    A class that is built but never reaches such a save (only trained and evaluated, exported as
    a SavedModel, which traces it and needs no `get_config`, or built inside another custom class
    that rebuilds it at load) is reported only in preview, at info: on public code every such
    finding read was a layer that is never saved. It leaves preview once a save through a path
    preplint cannot follow (a helper of another package, a callback subclass) can be told apart
    from no save at all.

    References:
    - https://keras.io/guides/serialization_and_saving/#custom-objects
    """
    facts, index = ctx.facts, ctx.index
    if facts.classes and only_weights_saved(index):
        return
    for cls in facts.classes:
        kind = keras_class_kind(facts, cls.name, index)
        if kind not in ("layer", "model"):
            continue
        own_args = [p for p in cls.init_params if p not in BASE_LAYER_ARGS]
        if "__init__" not in cls.methods or not own_args:
            continue
        if "get_config" not in cls.methods:
            message = missing_config_message(facts, index, cls, kind, own_args)
            if message is None:
                continue
        elif "from_config" not in cls.methods and serialises_nested(facts, cls.name):
            message = (
                f"Keras {kind} `{cls.name}` serialises nested Keras objects in `get_config` but has no "
                "`from_config` to deserialise them: loading passes dicts to `__init__`"
            )
        else:
            continue
        reach = class_save_reach(facts, cls.name, index)
        if reach == "saved":
            yield Finding(cls.span, message, artifact=class_artifact(facts, cls.name, index))
        elif reach == "unused" and not (facts.path.endswith(".ipynb") or facts.main_guard):
            # A library module: the models its users build and save are not in the run.
            yield Finding(
                cls.span,
                message + " (no model that uses it is built in the files checked)",
                severity=Severity.WARNING,
            )
        else:
            yield Finding(
                cls.span,
                message + " (no whole-model save of a model that holds it was seen)",
                severity=Severity.INFO,
                preview=True,
            )
