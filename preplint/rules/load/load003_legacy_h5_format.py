"""LOAD003 (legacy-h5-format): Flags a Keras model with custom or subclassed parts (a `Model` subclass, a custom `Layer`) saved to `.h5`/`.hdf5`, or with `save_format="h5"`."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.custom import custom_objects_used, keras_class_kind
from preplint.analysis.objects import binding_of
from preplint.analysis.records import ArtifactEvent, CustomObject
from preplint.analysis.saving import H5, _artifact, saved_model_objects
from preplint.facts.model import Call, FileFacts
from preplint.facts.paths import suffix
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


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
        # h5-subclassed-via-save-model
        """
import tensorflow as tf

class Net(tf.keras.Model):
    def call(self, x):
        return x

net = Net()
net.fit(x, y)
tf.keras.models.save_model(net, "net.hdf5")  # expect: LOAD003
""",
        # h5-checkpoint-callback
        """
from tensorflow import keras

class Attn(keras.layers.Layer):
    def call(self, x):
        return x

model = keras.Sequential([keras.Input((5, 4)), Attn(), keras.layers.Dense(1)])
ckpt = keras.callbacks.ModelCheckpoint("best.h5", save_best_only=True)  # expect: LOAD003
model.fit(x, y, callbacks=[ckpt])
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
        # custom-parts-of-another-model-in-the-file
        """
import tensorflow as tf

class Tiny(tf.keras.Model):
    def call(self, x):
        return x

tiny = Tiny()
tiny.fit(x, y)
iris = tf.keras.Sequential([tf.keras.layers.Dense(16, activation="relu"), tf.keras.layers.Dense(3)])
iris.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
iris.fit(x, y)
iris.save("iris.h5", save_format="h5")
""",
        # h5-checkpoint-of-a-built-in-model
        """
from tensorflow import keras

class Probe(keras.layers.Layer):
    def call(self, x):
        return x

mlp = keras.models.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])
callbacks = [
    keras.callbacks.EarlyStopping(patience=5),
    keras.callbacks.ModelCheckpoint("mnist.h5", save_best_only=True),
]
mlp.fit(x, y, callbacks=callbacks)
probe = keras.models.Sequential([Probe()])
""",
        # subclassed-model-replaced-before-the-save
        """
from tensorflow import keras

class Wide(keras.Model):
    def call(self, x):
        return x

model = Wide()
model.fit(x, y)
model = keras.Sequential([keras.layers.Dense(8), keras.layers.Dense(1)])
model.fit(x, y)
model.save("plain.h5")
""",
    ],
)
def legacy_h5_format(ctx: FileContext) -> Iterator[Finding]:
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
    facts, index = ctx.facts, ctx.index
    custom: tuple[CustomObject, ...] | None = None
    for event in ctx.artifact_events:
        if event.api != "keras-save" or event.obj_kind == "hf-model":
            continue
        call = facts.call_by_id[event.call]
        fmt = call.kwarg_const("save_format")
        is_h5 = (isinstance(fmt, str) and fmt.lower() in H5) or (
            fmt is None and suffix(event.path) in H5
        )
        if not is_h5:
            continue
        saved_parts = tuple(
            o for o in saved_model_objects(facts, index, event) if o.kind in ("layer", "model")
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
    for event in ctx.artifact_events:
        if event.api != "keras-checkpoint" or suffix(event.path) not in H5:
            continue
        call = facts.call_by_id[event.call]
        if event.obj:
            # The model handed to the `fit` that gets this callback: its own parts only.
            saved_parts = tuple(
                o for o in saved_model_objects(facts, index, event) if o.kind in ("layer", "model")
            )
            parts = _parts_of(facts, index, event, call, saved_parts)
        else:
            if custom is None:
                custom = _model_parts(facts, index)
            parts = sorted({o.name for o in custom})
        if parts:
            names = ", ".join(f"`{n}`" for n in parts)
            yield Finding(
                call.span,
                f"checkpoint of a model with custom or subclassed parts ({names}) written to legacy HDF5; use a `.keras` path",
                artifact=_artifact(event.path),
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
