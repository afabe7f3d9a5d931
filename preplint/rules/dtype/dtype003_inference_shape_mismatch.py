"""DTYPE003 (inference-shape-mismatch): Flags an inference call whose input has a literal shape (`np.reshape(x, (10, 784))`, `np.zeros((1, 5))`, a nested list literal) that contradicts the Keras model's declared input shape (`input_shape=(28, 28)`, `keras.Input(shape=(4,))`): a different number of axes or a different size on a fixed axis."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.arrays import array_info
from preplint.analysis.context import FileContext
from preplint.analysis.model_inputs import model_sources
from preplint.analysis.objects import bindings
from preplint.diagnostics import Related
from preplint.facts.model import Call, FileFacts, Value
from preplint.rules import Finding, rule


def _shape_of(value: Value) -> tuple[int, ...] | None:
    if isinstance(value.const, int) and not isinstance(value.const, bool):
        return (value.const,)
    if value.kind not in ("tuple", "list") or (not value.items and value.text not in ("()", "[]")):
        return None
    out: list[int] = []
    for item in value.items:
        if isinstance(item.const, int) and not isinstance(item.const, bool):
            out.append(item.const)
        elif item.kind == "const" and item.const is None:
            out.append(-1)
        else:
            return None
    return tuple(out)


def declared_input_shapes(facts: FileFacts) -> list[tuple[tuple[int, ...] | None, Call]]:
    """Input shapes a file declares for Keras models (without the batch axis); None when not literal."""
    out: list[tuple[tuple[int, ...] | None, Call]] = []
    for call in facts.calls:
        if not call.qualname.startswith("keras."):
            continue
        if call.qualname in ("keras.layers.Input", "keras.layers.InputLayer"):
            arg = call.arg(0, "shape") or call.arg(keyword="input_shape")
            batch = call.arg(keyword="batch_shape") or call.arg(keyword="batch_input_shape")
            if arg is not None:
                out.append((_shape_of(arg.value), call))
            elif batch is not None:
                shape = _shape_of(batch.value)
                out.append((shape[1:] if shape else None, call))
            continue
        for keyword in ("input_shape", "input_dim", "batch_input_shape"):
            arg = call.arg(keyword=keyword)
            if arg is None or (keyword == "input_dim" and "Embedding" in call.qualname):
                continue  # an embedding's `input_dim` is its vocabulary size, not a shape
            shape = _shape_of(arg.value)
            if keyword == "batch_input_shape":
                shape = shape[1:] if shape else None
            out.append((shape, call))
    return out


def _building_scopes(facts: FileFacts, scope: str) -> frozenset[str]:
    """The scopes whose code builds a model bound in `scope`: the scope, what is nested in it,
    and the file's functions and classes it calls (four calls deep)."""
    by_scope = facts.calls_by_scope
    qualnames = [f.qualname for f in facts.functions]
    seen = {scope}
    frontier = [scope]
    for _ in range(4):
        found: set[str] = set()
        for here in frontier:
            if here:
                found.update(q for q in qualnames if q.startswith(here + "."))
            fn = facts.function_by_qualname.get(here)
            for call in by_scope.get(here, ()):
                name = call.callee
                if call.receiver in ("self", "cls") and fn is not None and fn.cls:
                    name = f"{fn.cls}.{call.method}"
                if not name:
                    continue
                if name in facts.function_by_qualname:
                    found.add(name)
                if name in facts.class_by_name:
                    found.update(q for q in qualnames if q.startswith(name + "."))
        frontier = sorted(found - seen)
        seen.update(found)
        if not frontier:
            break
    return frozenset(seen)


def _returns_one_of_several(facts: FileFacts, scope: str) -> bool:
    """Whether `scope` is a helper that returns different models depending on its arguments."""
    fn = facts.function_by_qualname.get(scope)
    if fn is None:
        return False
    return len([v for v in fn.returns if not (v.kind == "const" and v.const is None)]) > 1


def _contradicts(given: tuple[int, ...], declared: tuple[int, ...]) -> bool:
    if declared == (1,) and len(given) == 1:
        return False  # a vector of scalars: Keras adds the feature axis itself (`(5,)` -> `(5, 1)`)
    if len(given) != len(declared) + 1:
        return True
    return any(g > 0 and d > 0 and g != d for g, d in zip(given[1:], declared, strict=True))


@rule(
    "DTYPE003",
    "inference-shape-mismatch",
    severity="error",
    positives=[
        """
import numpy as np
from tensorflow import keras

model = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(10)])
model.compile(loss="sparse_categorical_crossentropy")
model.fit(np.zeros((8, 28, 28)), np.zeros(8), epochs=1)
x = np.random.rand(10, 28, 28)
print(model.predict(np.reshape(x, (10, 784))))  # expect: DTYPE003
""",
        {
            "train.py": """
import tensorflow as tf
inputs = tf.keras.Input(shape=(4,))
outputs = tf.keras.layers.Dense(3, activation="softmax")(inputs)
model = tf.keras.Model(inputs, outputs)
model.compile(loss="categorical_crossentropy")
model.save("iris.keras")
""",
            "serve.py": """
import numpy as np
import tensorflow as tf
model = tf.keras.models.load_model("iris.keras")
sample = np.array([[5.1, 3.5, 1.4]])
print(model.predict(sample))  # expect: DTYPE003
""",
        },
        # keras_input_shape_cross_file
        {
            "paths.py": """
MODEL = "models/mnist.keras"
""",
            "train.py": """
from tensorflow import keras
from tensorflow.keras import layers
from paths import MODEL
model = keras.Sequential([layers.Input(shape=(28, 28, 1)), layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(10)])
model.save(MODEL)
""",
            "predict.py": """
import numpy as np
from tensorflow import keras
from paths import MODEL
model = keras.models.load_model(MODEL)
img = np.zeros((28, 28), dtype="float32")
model.predict(img.reshape(1, 28, 28, 1))
model.predict(np.expand_dims(img, 0))  # expect: DTYPE003
model.predict(img.reshape(-1, 784))  # expect: DTYPE003
""",
        },
        # input_dim_and_wrong_width
        """
import numpy as np
from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(8, input_dim=3), keras.layers.Dense(1)])
model.predict(np.array([[1.0, 2.0, 3.0]]))
model.predict(np.ones((2, 4)))  # expect: DTYPE003
""",
        # each_test_checked_against_its_own_model
        {
            "test_shapes.py": """
import numpy as np
from tensorflow import keras

def test_a():
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2)])
    model.predict(np.zeros((3, 7)))  # expect: DTYPE003

def test_b():
    model = keras.Sequential([keras.Input((2, 2)), keras.layers.Flatten()])
    model.predict(np.zeros((3, 2, 2)))
""",
        },
        # helper_builds_the_model
        """
import numpy as np
from tensorflow import keras

def build(width):
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(width)])
    net.compile(loss="mse")
    return net

model = build(8)
model.predict(np.zeros((2, 5)))  # expect: DTYPE003
""",
        # vector_of_scalars_for_one_feature
        """
import numpy as np
from tensorflow import keras
model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
model.predict(np.array([1.0, 2.0, 3.0]))
model.predict(np.zeros((3, 2)))  # expect: DTYPE003
""",
    ],
    negatives=[
        """
import numpy as np
from tensorflow import keras

model = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(10)])
x = np.random.rand(10, 784)
print(model.predict(x.reshape(-1, 28, 28)))
print(model.predict(np.expand_dims(np.zeros((28, 28)), 0)))
""",
        """
import numpy as np
from tensorflow import keras

def build(n_features):
    return keras.Sequential([keras.layers.Dense(1, input_shape=(n_features,))])

model = build(4)
print(model.predict(np.zeros((1, 5))))
""",
        """
import numpy as np
from tensorflow import keras

def tabular():
    model = keras.Sequential([keras.Input((12,)), keras.layers.Dense(1)])
    return model.predict(np.zeros((4, 12)))

def images():
    model = keras.Sequential([keras.layers.Conv2D(4, 3), keras.layers.GlobalAveragePooling2D()])
    return model.predict(np.zeros((4, 32, 32, 3)))
""",
    ],
)
def inference_shape_mismatch(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags an inference call whose input has a literal shape (`np.reshape(x, (10, 784))`,
    `np.zeros((1, 5))`, a nested list literal) that contradicts the Keras model's declared
    input shape (`input_shape=(28, 28)`, `keras.Input(shape=(4,))`): a different number of axes
    or a different size on a fixed axis. The model is found in the same file or in the script
    that saved the artifact being loaded.

    Why is this bad?:
    The call fails at run time in the serving path, or worse, a flattened input is broadcast or
    reinterpreted by a permissive layer and the predictions are garbage.

    Example:
    ```python
    model = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(10)])
    model.predict(np.reshape(x, (10, 784)))
    ```

    Use instead:
    ```python
    model.predict(np.reshape(x, (10, 28, 28)))
    ```

    References:
    - https://keras.io/guides/sequential_model/#specifying-the-input-shape-in-advance
    """
    facts, index = ctx.facts, ctx.index
    for feed in ctx.model_feeds:
        if feed.stage != "infer" or not feed.model:
            continue
        info = array_info(facts, feed.data, feed.scope, feed.stmt, index)
        if info.shape is None or not info.shape:
            continue
        origin, sources = model_sources(facts, feed, index)
        if origin is None or not sources:
            continue
        declared: list[tuple[tuple[int, ...] | None, Call, FileFacts]] = []
        for source in sources:
            owner = source.owner
            if not any(
                b.kind == "keras-model" and b.origin == "constructed"
                for b in bindings(owner, index)
            ):
                declared = []
                break
            shapes_here = declared_input_shapes(owner)
            if source.model is not None:
                # only what the code building this model declares, not another model's input
                home = source.model.scope
                building = _building_scopes(owner, home)
                shapes_here = [
                    (s, c)
                    for s, c in shapes_here
                    if c.scope in building and (c.scope == home or not c.in_condition)
                ]
                if len({c.scope for _, c in shapes_here}) > 1 or any(
                    _returns_one_of_several(owner, c.scope) for _, c in shapes_here
                ):
                    declared = []
                    break
            declared.extend((shape, call, owner) for shape, call in shapes_here)
        if not declared or any(shape is None for shape, _, _ in declared):
            continue
        shapes = {shape for shape, _, _ in declared}
        if len(shapes) != 1:
            continue
        shape, where, owner = declared[0]
        assert shape is not None
        if not _contradicts(info.shape, shape):
            continue
        call = facts.call_by_id[feed.call]
        given = "(" + ", ".join("?" if d < 0 else str(d) for d in info.shape) + ")"
        expected = "(None, " + ", ".join("None" if d < 0 else str(d) for d in shape) + ")"
        yield Finding(
            call.span,
            f"input of shape {given} does not fit the model's declared input shape {expected}",
            (Related(owner.path, where.span.line, where.span.column, "input shape declared here"),),
            artifact=origin.artifact or None,
        )
