"""SAFE: loading artifacts that can run code."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.diagnostics import Edit, Fix
from preplint.facts import frameworks as fw
from preplint.facts.custom import custom_objects_used
from preplint.facts.model import FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


@rule(
    "SAFE001",
    "torch-load-unsafe",
    severity="warning",
    fixable=True,
    positives=[
        """
import torch
state = torch.load("model.pt")  # expect: SAFE001
""",
        """
from torch import load as torch_load
def restore(path):
    return torch_load(path, map_location="cpu", weights_only=False)  # expect: SAFE001
""",
    ],
    negatives=[
        """
import torch
state = torch.load("model.pt", weights_only=True)
""",
        """
import pickle
def load(path):
    # not torch: a user's own `load` helper and a plain file read
    with open(path, "rb") as f:
        return f.read()
model = load("model.pt")
""",
    ],
)
def torch_load_unsafe(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags `torch.load(...)` calls that do not pass `weights_only=True`.

    Why is this bad?:
    `torch.load` unpickles the file, and unpickling can run arbitrary code stored in it.
    Since PyTorch 2.6 the default is `weights_only=True`, so the same line behaves
    differently across versions: it fails on full pickled models, or it runs code on older ones.

    Example:
    ```python
    state = torch.load("model.pt")
    ```

    Use instead:
    ```python
    state = torch.load("model.pt", weights_only=True)
    ```

    References:
    - https://pytorch.org/docs/stable/generated/torch.load.html
    """
    for call in facts.calls_named("torch.load"):
        flag = call.arg(keyword="weights_only")
        if flag is not None and flag.value.const is True:
            continue
        if flag is None and any(a.star == "**" for a in call.args):
            continue
        if flag is None:
            span = call.span
            fix = Fix(
                "Pass `weights_only=True`",
                (
                    Edit(
                        span.end_line,
                        span.end_column - 1,
                        span.end_line,
                        span.end_column - 1,
                        _insertion(call),
                    ),
                ),
            )
            message = "`torch.load` without `weights_only=True` unpickles arbitrary code; pass `weights_only=True`"
        else:
            fix = None
            message = f"`torch.load` with `weights_only={flag.value.text}` unpickles arbitrary code"
        yield Finding(call.span, message, fix=fix)


def _insertion(call: object) -> str:
    args = getattr(call, "args", ())
    return ", weights_only=True" if args else "weights_only=True"


_UNSAFE_SWITCHES = frozenset({"keras.config.enable_unsafe_deserialization"})


@rule(
    "SAFE002",
    "keras-unsafe-load",
    severity="warning",
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
    ],
    negatives=[
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
    ],
)
def keras_unsafe_load(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags `load_model(..., safe_mode=False)` (and `keras.config.enable_unsafe_deserialization()`),
    and `Lambda` layers in a Keras model that is saved whole, which can only be loaded that way.

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
    for call in facts.calls:
        if call.qualname in fw.KERAS_LOAD_MODEL:
            flag = call.arg(keyword="safe_mode")
            if flag is not None and flag.value.const is False and flag.value.kind == "const":
                yield Finding(
                    call.span,
                    "`load_model(..., safe_mode=False)` lets the artifact run arbitrary code at load; "
                    "replace `Lambda` layers with registered custom layers and load with `safe_mode=True`",
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
        if (facts.path, call.span.line, call.span.column) in saved:
            yield Finding(
                call.span,
                "`Lambda` layer in a saved model: loading it needs `safe_mode=False`, which runs the code stored "
                "in the file; use a built-in or registered custom layer instead",
            )


def _lambdas_in_saved_models(index: ProjectIndex) -> set[tuple[str, int, int]]:
    """(file, line, column) of every Lambda layer inside a Keras model the project saves whole."""
    out: set[tuple[str, int, int]] = set()
    for event in index.events:
        if event.api != "keras-save" or event.obj_kind == "hf-model":
            continue
        owner = index.file(event.file)
        if owner is None:
            continue
        fmt = owner.call_by_id[event.call].kwarg_const("save_format")
        if isinstance(fmt, str) and fmt.lower() in ("tf", "savedmodel"):
            continue
        for obj in custom_objects_used(owner, index):
            if obj.kind == "lambda":
                out.add((obj.file, obj.span.line, obj.span.column))
    return out
