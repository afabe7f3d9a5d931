"""SAFE002 (keras-unsafe-load): Flags `load_model(..., safe_mode=False)` (and `keras.config.enable_unsafe_deserialization()`), and `Lambda` layers in a Keras model that is saved whole, which can only be loaded that way."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.artifacts import project_events
from preplint.analysis.context import FileContext
from preplint.analysis.custom import custom_objects_used
from preplint.analysis.saving import _artifact, model_objects
from preplint.facts import frameworks as fw
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

_UNSAFE_SWITCHES = frozenset({"keras.config.enable_unsafe_deserialization"})


@rule(
    "SAFE002",
    "keras-unsafe-load",
    severity="warning",
    probe="safe-mode-load",
    positives=[
        """
import tensorflow as tf
model = tf.keras.models.load_model("model.keras", safe_mode=False)  # expect: SAFE002
""",
        """
import keras
from keras import layers

inputs = keras.Input((28, 28, 1))
x = layers.Lambda(lambda t: t / 255.0)(inputs)  # expect: SAFE002
outputs = layers.Dense(10)(layers.Flatten()(x))
model = keras.Model(inputs, outputs)
model.fit(x_train, y_train)
model.save("digits.keras")
""",
        {
            "model.py": """
from tensorflow import keras

def build():
    inp = keras.Input((8,))
    out = keras.layers.Lambda(lambda t: t * 2.0)(inp)  # expect: SAFE002
    return keras.Model(inp, keras.layers.Dense(1)(out))
""",
            "train.py": """
from model import build
model = build()
model.fit(x, y)
model.save("doubled.keras")
""",
        },
        # unsafe-switch
        """
import keras
keras.config.enable_unsafe_deserialization()  # expect: SAFE002
model = keras.models.load_model("m.keras")
""",
        # named-function-lambda
        """
from tensorflow import keras

def to_unit(x):
    return x / 255.0

inp = keras.Input((28, 28))
model = keras.Model(inp, keras.layers.Lambda(to_unit)(inp))  # expect: SAFE002
model.save("m.keras")
""",
        # lambda-model-written-by-a-checkpoint-callback
        """
import keras

model = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda t: t / 255.0)])  # expect: SAFE002
model.compile("adam", "mse")
model.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("best.keras")])
""",
    ],
    negatives=[
        # lambda-model-replaced-before-the-save
        """
import keras

model = keras.Sequential([keras.layers.Lambda(lambda t: t * 2)])
print(model(x))
model = keras.Sequential([keras.layers.Dense(1)])
model.fit(x, y)
model.save("plain.keras")
""",
        """
import keras
model = keras.models.load_model("model.keras")
same = keras.saving.load_model("model.keras", safe_mode=True)
""",
        """
import keras
from keras import layers

# a Lambda in a model whose weights only are saved: no code is stored
inputs = keras.Input((4,))
model = keras.Model(inputs, layers.Dense(1)(layers.Lambda(lambda t: t * 2)(inputs)))
model.save_weights("m.weights.h5")
""",
        {
            # Keras's own test of its `safe_mode` guard: the round trip is the thing under test
            "keras/src/saving/lambda_roundtrip_test.py": """
import keras

def test_lambda_needs_unsafe_mode(tmp_path):
    path = str(tmp_path / "doubler.keras")
    keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda t: t + t)]).save(path)
    restored = keras.saving.load_model(path, safe_mode=False)
    assert len(restored.layers) == 1
""",
        },
        # framework-function-lambda
        """
import tensorflow as tf
inp = tf.keras.Input((4,))
model = tf.keras.Model(inp, tf.keras.layers.Lambda(tf.nn.relu)(inp))
model.save("m.keras")
""",
        # lambda-in-savedmodel
        """
import tensorflow as tf
inp = tf.keras.Input((4,))
other = tf.keras.Model(inp, tf.keras.layers.Lambda(lambda t: t + 1)(inp))
other.save("export/other", save_format="tf")
""",
        # safe-mode-from-variable
        """
import keras
model = keras.models.load_model("m.keras", safe_mode=SAFE)
""",
    ],
)
def keras_unsafe_load(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags `load_model(..., safe_mode=False)` (and `keras.config.enable_unsafe_deserialization()`),
    and `Lambda` layers in a Keras model that is saved whole, which can only be loaded that way.
    Keras's own sources (`keras/src/...`), whose tests exercise that guard, are left alone.

    Why is this bad?:
    A `Lambda` layer stores the Python bytecode of its function in the saved file. Loading it
    needs `safe_mode=False`, which lets the file run arbitrary code on the machine that loads
    it: anyone who can replace the artifact can run code in the inference service. The bytecode
    is also tied to the Python version that wrote it.

    Example:
    ```python
    x = keras.layers.Lambda(lambda t: t / 255.0)(inputs)
    ...
    model = keras.models.load_model("model.keras", safe_mode=False)
    ```

    Use instead:
    ```python
    x = keras.layers.Rescaling(1 / 255.0)(inputs)  # or a registered custom layer
    ...
    model = keras.models.load_model("model.keras")
    ```

    References:
    - https://keras.io/api/models/model_saving_apis/model_saving_and_loading/#load_model-function
    - https://keras.io/api/layers/core_layers/lambda/
    """
    facts, index = ctx.facts, ctx.index
    if ctx.is_framework_source:
        return
    loaded = {e.call: e.path for e in ctx.artifact_events if e.action == "load"}
    for call in facts.calls:
        if call.qualname in fw.KERAS_LOAD_MODEL:
            flag = call.arg(keyword="safe_mode")
            if flag is not None and flag.value.const is False and flag.value.kind == "const":
                yield Finding(
                    call.span,
                    "`load_model(..., safe_mode=False)` lets the artifact run arbitrary code at load; "
                    "replace `Lambda` layers with registered custom layers and load with `safe_mode=True`",
                    artifact=_artifact(loaded.get(call.id, "")),
                )
        elif call.qualname in _UNSAFE_SWITCHES:
            yield Finding(
                call.span,
                "unsafe Keras deserialisation turned on: any loaded artifact can run arbitrary code",
            )
    lambdas = [c for c in facts.calls if c.qualname == "keras.layers.Lambda"]
    if not lambdas:
        return
    saved = _lambdas_in_saved_models(index)
    for call in lambdas:
        key = (facts.path, call.span.line, call.span.column)
        if key in saved:
            yield Finding(
                call.span,
                "`Lambda` layer in a saved model: loading it needs `safe_mode=False`, which runs the code stored "
                "in the file; use a built-in or registered custom layer instead",
                artifact=_artifact(saved[key]),
            )


def _lambdas_in_saved_models(index: ProjectIndex) -> dict[tuple[str, int, int], str]:
    """(file, line, column) of every Lambda layer inside a Keras model the project saves whole,
    with the path it is saved to ("" when unknown)."""
    out: dict[tuple[str, int, int], str] = {}
    for event in project_events(index, "keras-full-saves"):
        owner = index.file(event.file)
        if owner is None:
            continue
        fmt = owner.call_by_id[event.call].kwarg_const("save_format")
        if isinstance(fmt, str) and fmt.lower() in ("tf", "savedmodel"):
            continue
        # The model this save writes when its building is seen (not a model it replaced).
        found = model_objects(owner, index, event)
        for obj in found if found is not None else custom_objects_used(owner, index):
            if obj.kind == "lambda":
                out.setdefault((obj.file, obj.span.line, obj.span.column), event.path)
    return out
