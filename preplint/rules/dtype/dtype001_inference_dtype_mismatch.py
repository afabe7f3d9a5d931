"""DTYPE001 (inference-dtype-mismatch): Flags an inference call (`predict`, `model(x)`, `evaluate`) whose input has a different dtype from the data the model was trained on: training casts to `float32`, inference passes `float64`, `int` or `uint8` arrays (`np.array([[4], [5]])` is int64)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from preplint.analysis.arrays import array_info
from preplint.analysis.context import FileContext
from preplint.analysis.dtypes import same_dtype_family
from preplint.analysis.model_inputs import is_float64_tensor, model_sources
from preplint.analysis.models import ModelFeed, ModelOrigin, model_feeds, model_origin
from preplint.diagnostics import Related, Span
from preplint.facts.model import FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


@dataclass(frozen=True)
class _Trained:
    dtype: str
    file: str
    span: Span


def _origin_key(origin: ModelOrigin) -> tuple[str, str, int]:
    return (origin.name, origin.scope, origin.stmt)


def _training_dtype(
    facts: FileFacts, feed: ModelFeed, index: ProjectIndex
) -> tuple[ModelOrigin | None, _Trained | None]:
    origin, sources = model_sources(facts, feed, index)
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


@rule(
    "DTYPE001",
    "inference-dtype-mismatch",
    severity="warning",
    probe="dtype-sensitivity",
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
def inference_dtype_mismatch(ctx: FileContext) -> Iterator[Finding]:
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
    facts, index = ctx.facts, ctx.index
    for feed in model_feeds(facts, index):
        if feed.stage != "infer":
            continue
        info = array_info(facts, feed.data, feed.scope, feed.stmt, index)
        if not info.dtype or info.lib == "pandas" or is_float64_tensor(info):
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
