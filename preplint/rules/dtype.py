"""DTYPE: the dtype and shape a model is given at inference versus what it was trained on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from preplint.analysis.arrays import array_info
from preplint.analysis.dtypes import ArrayInfo, same_dtype_family
from preplint.analysis.models import ModelFeed, ModelOrigin, model_feeds, model_origin
from preplint.diagnostics import Edit, Fix, Related, Span
from preplint.facts.model import Call, FileFacts, Value
from preplint.facts.objects import bindings
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

_TORCH_MODEL_KINDS = frozenset({"torch-module", "torch-loaded", "hf-model"})


@dataclass(frozen=True)
class _Trained:
    dtype: str
    file: str
    span: Span


@dataclass(frozen=True)
class _Source:
    """A file where the model was trained, and the model as bound where it is saved (or fed)."""

    owner: FileFacts
    model: ModelOrigin | None  # None when the saved expression cannot be followed


def _origin_key(origin: ModelOrigin) -> tuple[str, str, int]:
    return (origin.name, origin.scope, origin.stmt)


def _model_sources(
    facts: FileFacts, feed: ModelFeed, index: ProjectIndex
) -> tuple[ModelOrigin | None, list[_Source]]:
    """The model's origin and where it was trained: this file, or the savers of its artifact.

    A load that follows a save of the same artifact in the same function reads that save (a
    test saving and reloading its own model), not the other savers of the same file name.
    """
    if not feed.model:
        return None, []
    origin = model_origin(facts, feed.model, feed.scope, feed.stmt, index)
    if origin is None:
        return None, []
    if origin.artifact:
        events = index.savers(origin.artifact, near=facts.path)
        load = facts.call_by_id.get(origin.load_call)
        if load is not None:
            local = [
                e
                for e in events
                if e.file == facts.path
                and facts.call_by_id[e.call].scope == load.scope
                and facts.call_by_id[e.call].stmt < load.stmt
            ]
            if local:
                events = [max(local, key=lambda e: facts.call_by_id[e.call].stmt)]
        out: list[_Source] = []
        for event in events:
            owner = index.file(event.file)
            if owner is None:
                continue
            name = event.obj.split(".state_dict")[0].split("(")[0]
            save = owner.call_by_id[event.call]
            saved = model_origin(owner, name, save.scope, save.stmt, index) if name else None
            out.append(_Source(owner, saved))
        return origin, out
    if origin.load_call >= 0:
        return origin, []
    return origin, [_Source(facts, origin)]


def _training_dtype(
    facts: FileFacts, feed: ModelFeed, index: ProjectIndex
) -> tuple[ModelOrigin | None, _Trained | None]:
    origin, sources = _model_sources(facts, feed, index)
    found: list[_Trained] = []
    for source in sources:
        owner = source.owner
        for train in model_feeds(owner, index):
            if train.stage != "train":
                continue
            if source.model is not None:
                # only the training of this very model, not of another one in the same file
                other = (
                    model_origin(owner, train.model, train.scope, train.stmt, index)
                    if train.model
                    else None
                )
                if other is None or _origin_key(other) != _origin_key(source.model):
                    continue
            info = array_info(owner, train.data, train.scope, train.stmt, index)
            if not info.dtype or info.lib == "pandas":
                return origin, None  # one unknown training input: the model's dtype is not known
            found.append(_Trained(info.dtype, owner.path, owner.call_by_id[train.call].span))
    if not found or any(not same_dtype_family(t.dtype, found[0].dtype) for t in found):
        return origin, None
    return origin, found[0]


def _is_float64_tensor(info: ArrayInfo) -> bool:
    return info.lib == "torch" and info.dtype == "float64" and info.tensor_from >= 0


@rule(
    "DTYPE001",
    "inference-dtype-mismatch",
    severity="warning",
    positives=[
        """
import numpy as np
from tensorflow import keras

X = np.random.rand(200, 1).astype("float32")
y = 3 * X
model = keras.Sequential([keras.layers.Dense(1, input_shape=(1,))])
model.compile(optimizer="sgd", loss="mse")
model.fit(X, y, epochs=3)
print(model.predict(np.array([[4], [5]])))  # expect: DTYPE001
""",
        {
            "config.py": """
MODEL_PATH = "models/regressor.keras"
""",
            "train.py": """
import numpy as np
import tensorflow as tf
from config import MODEL_PATH

X = np.loadtxt("x.csv").astype(np.float32)
y = np.loadtxt("y.csv").astype(np.float32)
model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(X, y, epochs=10)
model.save(MODEL_PATH)
""",
            "predict.py": """
import numpy as np
from tensorflow import keras
from config import MODEL_PATH

def predict(values):
    model = keras.models.load_model(MODEL_PATH)
    return model.predict(np.array(values, dtype=np.float64))  # expect: DTYPE001
""",
        },
    ],
    negatives=[
        """
import numpy as np
from tensorflow import keras

X = np.random.rand(200, 1).astype("float32")
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
model.fit(X, 3 * X, epochs=3)
print(model.predict(np.array([[4.0], [5.0]], dtype=np.float32)))
""",
        {
            "train.py": """
import pandas as pd
import joblib
from sklearn.ensemble import RandomForestRegressor
df = pd.read_csv("data.csv")
model = RandomForestRegressor(random_state=0).fit(df[["a", "b"]].values, df["y"].values)
joblib.dump(model, "rf.joblib")
""",
            "predict.py": """
import joblib
import numpy as np
model = joblib.load("rf.joblib")
print(model.predict(np.array([[1, 2]])))
""",
        },
        """
import numpy as np
from tensorflow import keras

def fit_regressor():
    reg = keras.Sequential([keras.layers.Dense(1)])
    reg.compile(loss="mse")
    reg.fit(np.random.rand(16, 3), np.random.rand(16))
    reg.save("out/model.keras")

def export_probe():
    probe = keras.Sequential([keras.layers.Dense(1)])
    probe(np.zeros((1, 3), dtype="float32"))
    probe.save("out/model.keras")
    again = keras.models.load_model("out/model.keras")
    return again.predict(np.ones((1, 3), dtype="float32"))
""",
    ],
)
def inference_dtype_mismatch(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags an inference call (`predict`, `model(x)`, `evaluate`) whose input has a different
    dtype from the data the model was trained on: training casts to `float32`, inference passes
    `float64`, `int` or `uint8` arrays (`np.array([[4], [5]])` is int64). The training side is
    found in the same file or in the script that saved the artifact the inference loads. Only
    dtypes known on both sides are compared: pandas `.values` and loaded arrays are not guessed.

    Why is this bad?:
    Frameworks convert silently or fail: Keras casts to the layer dtype (precision and
    rounding differ from training), PyTorch raises on a Double input, integer pixel arrays skip
    the float scaling the model expects. The model behaves differently from its evaluation.

    Example:
    ```python
    model.fit(X.astype("float32"), y)
    model.predict(np.array([[4], [5]]))
    ```

    Use instead:
    ```python
    model.predict(np.array([[4], [5]], dtype="float32"))
    ```

    References:
    - https://numpy.org/doc/stable/user/basics.types.html
    """
    for feed in model_feeds(facts, index):
        if feed.stage != "infer":
            continue
        info = array_info(facts, feed.data, feed.scope, feed.stmt, index)
        if not info.dtype or info.lib == "pandas" or _is_float64_tensor(info):
            continue
        origin, trained = _training_dtype(facts, feed, index)
        if trained is None or same_dtype_family(info.dtype, trained.dtype):
            continue
        call = facts.call_by_id[feed.call]
        related = (
            Related(
                trained.file,
                trained.span.line,
                trained.span.column,
                f"model trained on {trained.dtype} input here",
            ),
        )
        yield Finding(
            call.span,
            f"inference input is {info.dtype} but the model was trained on {trained.dtype}; cast it the same way as in training",
            related,
            artifact=origin.artifact if origin is not None and origin.artifact else None,
        )


def _forward_calls(
    facts: FileFacts, index: ProjectIndex
) -> Iterator[tuple[Call, Value, ModelOrigin]]:
    """`model(x)`, `self.net(x)`, `model.forward(x)` on a torch module, with the input."""
    for call in facts.calls:
        if not call.args or call.qualname:
            continue
        if call.method == "forward" and call.receiver:
            target = call.receiver
        elif call.callee and (not call.method or call.receiver == "self"):
            target = call.callee
        else:
            continue
        origin = model_origin(facts, target, call.scope, call.stmt, index)
        if origin is None or origin.kind not in _TORCH_MODEL_KINDS:
            continue
        if origin.kind == "torch-module":
            built = facts.call_by_id.get(
                next(
                    (
                        b.call
                        for b in bindings(facts, index)
                        if b.name == origin.name and b.stmt == origin.stmt
                    ),
                    -1,
                )
            )
            if built is not None and built.qualname.rsplit(".", 1)[-1].endswith("Loss"):
                continue
        data = call.arg(0, "input") or call.arg(0, "x")
        if data is not None:
            yield call, data.value, origin


def _made_double(facts: FileFacts, name: str) -> bool:
    """Whether the module was cast to float64 (`model.double()`, `Net().double()`, `.to(torch.float64)`)."""
    for assign in facts.assigns:
        if name in assign.targets and assign.value.kind == "call":
            for cid in assign.value.calls:
                inner = facts.call_by_id.get(cid)
                if inner is not None and (
                    inner.method == "double"
                    or (
                        inner.method == "to"
                        and any(
                            "float64" in a.value.text or "double" in a.value.text
                            for a in inner.args
                        )
                    )
                ):
                    return True
    for call in facts.calls:
        if call.receiver == name and call.method == "double":
            return True
        if (
            call.receiver == name
            and call.method == "to"
            and any("float64" in a.value.text or "double" in a.value.text for a in call.args)
        ):
            return True
    return False


@rule(
    "DTYPE002",
    "torch-float64-input",
    severity="error",
    fixable=True,
    positives=[
        """
import numpy as np
import torch
import torch.nn as nn

model = nn.Linear(3, 1)
x = np.random.rand(16, 3)
out = model(torch.from_numpy(x))  # expect: DTYPE002
""",
        """
import numpy as np
import torch

class Predictor:
    def __init__(self, path):
        self.model = torch.jit.load(path)
        self.model.eval()

    def predict(self, rows):
        batch = np.array(rows, dtype=np.float64)
        tensor = torch.tensor(batch)  # expect: DTYPE002
        with torch.no_grad():
            return self.model(tensor)
""",
    ],
    negatives=[
        """
import numpy as np
import torch

model = torch.nn.Linear(3, 1)
x = np.random.rand(16, 3)
a = model(torch.from_numpy(x).float())
b = model(torch.tensor(x, dtype=torch.float32))
c = model(torch.as_tensor(x.astype(np.float32)))
""",
        """
import pandas as pd
import torch

model = torch.nn.Linear(3, 1)
df = pd.read_csv("x.csv")
out = model(torch.tensor(df.values))
loss = torch.nn.MSELoss()(out, torch.from_numpy(df["y"].to_numpy()))
""",
    ],
)
def torch_float64_input(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags a float64 NumPy array turned into a tensor (`torch.from_numpy(x)`, `torch.tensor(x)`,
    `torch.as_tensor(x)`) without `.float()` or `dtype=torch.float32` and then fed to a module.
    NumPy creates float64 by default (`np.random.rand`, `np.loadtxt`, float literals), and the
    conversion keeps it.

    Why is this bad?:
    A float32 module fails with `RuntimeError: expected scalar type Float but found Double`,
    or, if the module was cast to double somewhere, computes silently in float64 with results
    that differ from the trained float32 model.

    Example:
    ```python
    out = model(torch.from_numpy(np.random.rand(16, 3)))
    ```

    Use instead:
    ```python
    out = model(torch.from_numpy(np.random.rand(16, 3)).float())
    ```

    References:
    - https://pytorch.org/docs/stable/generated/torch.from_numpy.html
    """
    reported: set[int] = set()
    for call, data, origin in _forward_calls(facts, index):
        info = array_info(facts, data, call.scope, call.stmt, index)
        if (
            not _is_float64_tensor(info)
            or info.tensor_from in reported
            or _made_double(facts, origin.name)
        ):
            continue
        maker = facts.call_by_id.get(info.tensor_from)
        if maker is None:
            continue
        reported.add(info.tensor_from)
        end = maker.span
        fix = Fix(
            "Append `.float()`",
            (Edit(end.end_line, end.end_column, end.end_line, end.end_column, ".float()"),),
        )
        related: tuple[Related, ...] = ()
        if maker.id != call.id and call.span.line != maker.span.line:
            related = (
                Related(
                    facts.path,
                    call.span.line,
                    call.span.column,
                    "the float64 tensor is fed to the module here",
                ),
            )
        yield Finding(
            maker.span,
            f"`{maker.callee}` keeps NumPy's float64; the module expects float32 (append `.float()` or pass `dtype=torch.float32`)",
            related,
            fix=fix,
            artifact=origin.artifact or None,
        )


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
def inference_shape_mismatch(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
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
    for feed in model_feeds(facts, index):
        if feed.stage != "infer" or not feed.model:
            continue
        info = array_info(facts, feed.data, feed.scope, feed.stmt, index)
        if info.shape is None or not info.shape:
            continue
        origin, sources = _model_sources(facts, feed, index)
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
