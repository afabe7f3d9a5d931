"""DTYPE001 (inference-dtype-mismatch): Flags an inference call (`predict`, `model(x)`, `evaluate`) whose input has a different dtype from the data the model was trained on: training casts to `float32`, inference passes `float64`, `int` or `uint8` arrays (`np.array([[4], [5]])` is int64)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from preplint.analysis.arrays import array_info
from preplint.analysis.context import FileContext
from preplint.analysis.dtypes import same_dtype_family
from preplint.analysis.model_inputs import is_float64_tensor, model_sources
from preplint.analysis.models import ModelOrigin, binding_at, model_feeds, model_origin
from preplint.analysis.records import ModelFeed
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


def _is_sklearn(facts: FileFacts, feed: ModelFeed, index: ProjectIndex) -> bool:
    """Whether the model given data is a scikit-learn estimator or pipeline."""
    call = facts.call_by_id[feed.call]
    if feed.model:
        b = binding_at(facts, feed.model, feed.scope, feed.stmt, index)
        return b is not None and (b.framework == "sklearn" or b.kind == "pipeline")
    if call.receiver_call >= 0:
        inner = facts.call_by_id[call.receiver_call]
        return inner.qualname.startswith("sklearn.")
    return False


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
            if _is_sklearn(owner, train, index):
                return origin, None  # scikit-learn validates and casts every input to float64
            info = array_info(owner, train.data, train.scope, train.stmt, index)
            if not info.dtype or info.lib == "pandas" or info.dtype == "bool":
                # a bool one-hot is cast to the layer dtype like float 0/1 values: same numbers
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
        # cross_file_config_path_int_literal
        {
            "config.py": """
import os
MODEL_DIR = "artifacts"
MODEL_PATH = os.path.join(MODEL_DIR, "linear.keras")
""",
            "train.py": """
import numpy as np
import tensorflow as tf
import config

X = np.arange(0, 100).reshape(-1, 1).astype(np.float32)
y = 2 * X + 1
model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
model.fit(X, y, epochs=20)
model.save(config.MODEL_PATH)
""",
            "predict.py": """
import numpy as np
from tensorflow.keras.models import load_model
import config

model = load_model(config.MODEL_PATH)
print(model.predict(np.array([[4], [5]])))  # expect: DTYPE001
""",
        },
        # predictor_class_uint8_images
        {
            "train.py": """
import numpy as np
from tensorflow import keras
x = np.load("x.npy").astype("float32") / 255.0
model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])
model.compile(loss="sparse_categorical_crossentropy")
model.fit(x, np.load("y.npy"), epochs=1)
model.save("digits.keras")
""",
            "serve.py": """
import numpy as np
from PIL import Image
from tensorflow import keras

class Predictor:
    def __init__(self):
        self.model = keras.models.load_model("digits.keras")

    def predict(self, path):
        img = np.asarray(Image.open(path).convert("L"))
        return self.model.predict(img[None])  # expect: DTYPE001
""",
        },
        # split_keeps_the_cast
        """
import numpy as np
from sklearn.model_selection import train_test_split
from tensorflow import keras
X = np.random.rand(100, 4).astype("float32")
y = np.random.randint(0, 2, size=100)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
model = keras.Sequential([keras.layers.Dense(1)])
model.fit(X_tr, y_tr, epochs=1)
model.evaluate(X_te, y_te)
model.predict(np.random.rand(5, 4))  # expect: DTYPE001
""",
    ],
    negatives=[
        # dtype001_neg_sklearn_casts: scikit-learn converts int and float input to float64 alike
        """
import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor

xs = np.array([1, 3, 5, 6, 8])
gp = GaussianProcessRegressor()
gp.fit(xs[:, np.newaxis], ys)
curve = gp.predict(np.linspace(0, 10, 1000)[:, np.newaxis])
""",
        # dtype001_neg_bool_one_hot: bool in training, float 0/1 at inference: the same values
        """
import numpy as np
from tensorflow import keras

x = np.zeros((100, 20, 30), dtype=bool)
y = np.zeros((100, 30), dtype=bool)
model = keras.Sequential([keras.layers.LSTM(64), keras.layers.Dense(30, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer="adam")
model.fit(x, y, epochs=1)
x_pred = np.zeros((1, 20, 30))
x_pred[0, 3, 7] = 1.0
print(model.predict(x_pred))
""",
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
        # same_dtype_cross_file_is_quiet
        {
            "train.py": """
import numpy as np
from tensorflow import keras
X = np.random.rand(10, 3).astype(np.float32)
model = keras.Sequential([keras.layers.Dense(1)])
model.fit(X, X[:, 0], epochs=1)
model.save("m.keras")
""",
            "predict.py": """
import numpy as np
from tensorflow import keras
model = keras.models.load_model("m.keras")
x = np.array([[1, 2, 3]], dtype="float32")
model.predict(x)
model.predict(np.asarray([[0.1, 0.2, 0.3]]).astype(np.float32) / 2.0)
""",
        },
        # unknown_training_dtype_is_quiet
        {
            "train.py": """
import pandas as pd
from tensorflow import keras
df = pd.read_csv("d.csv")
model = keras.Sequential([keras.layers.Dense(1)])
model.fit(df[["a"]].values, df["y"].values, epochs=1)
model.save("m.keras")
""",
            "predict.py": """
import numpy as np
from tensorflow import keras
model = keras.models.load_model("m.keras")
model.predict(np.array([[4], [5]]))
""",
        },
        # float_tensor_and_double_model_are_quiet
        """
import numpy as np
import torch
model = torch.nn.Linear(3, 1)
x = np.random.rand(4, 3)
x32 = np.random.rand(4, 3).astype(np.float32)
model(torch.from_numpy(x32))
model(torch.from_numpy(x).to(torch.float32))
model(torch.tensor(x).float().unsqueeze(0))
model(torch.as_tensor(x, dtype=torch.float))
double_model = torch.nn.Linear(3, 1).double()
double_model(torch.from_numpy(x))
""",
        # other_test_declares_the_input_shape
        {
            "model_checks_test.py": """
import numpy as np
from tensorflow import keras

class ModelChecks:
    def test_functional(self):
        inputs = keras.Input(shape=(6,))
        model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
        model.predict(np.zeros((3, 6)))

    def test_subclassed(self):
        class Doubler(keras.Model):
            def call(self, x):
                return x * 2
        model = Doubler()
        model.predict(np.zeros((3, 5, 5)))
""",
        },
        # same_file_name_saved_by_two_tests
        {
            "test_saving.py": """
import numpy as np
import keras

def test_dense(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(loss="mse")
    model.fit(np.random.rand(8, 3), np.random.rand(8, 1))
    model.save(tmp_path / "m.keras")

def test_conv(tmp_path):
    model = keras.Sequential([keras.layers.Conv2D(2, 3)])
    model(np.zeros((1, 8, 8, 1), "float32"))
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    again.predict(np.zeros((1, 8, 8, 1), "float32"))
""",
        },
        # dtype_of_another_model_saved_to_the_same_name
        """
import numpy as np
from tensorflow import keras

def check_a():
    a = keras.Sequential([keras.layers.Dense(1)])
    a.compile(loss="mse")
    a.fit(np.random.rand(4, 2), np.random.rand(4, 1))
    a.save("shared.keras")

def check_b():
    b = keras.Sequential([keras.layers.Dense(1)])
    b(np.zeros((1, 2), "float32"))
    b.save("shared.keras")
    c = keras.models.load_model("shared.keras")
    c.predict(np.ones((1, 2), "float32"))
""",
        # helper_returns_one_of_several_models
        """
import numpy as np
from tensorflow import keras

def make(kind):
    if kind == "seq":
        inputs = keras.Input((4, 7))
        net = keras.Model(inputs, keras.layers.LSTM(3)(inputs))
        return net
    net = keras.Sequential([keras.layers.Dense(1)])
    return net

model = make("dense")
model.predict(np.zeros((2, 7)))
""",
        # embedding_input_dim_is_a_vocabulary
        """
import numpy as np
from tensorflow import keras
model = keras.Sequential([keras.layers.Embedding(input_dim=5000, output_dim=16), keras.layers.GlobalAveragePooling1D()])
model.predict(np.zeros((2, 40), dtype="int32"))
""",
        # two_models_with_different_inputs_are_quiet
        """
import numpy as np
from tensorflow import keras
enc = keras.Sequential([keras.layers.Dense(8, input_shape=(16,))])
dec = keras.Sequential([keras.layers.Dense(16, input_shape=(8,))])
dec.predict(np.zeros((1, 8)))
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
    scikit-learn estimators are skipped (they cast every input to float64), and so is a model
    trained on bool arrays (a bool one-hot and float 0/1 values are the same numbers once cast).

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
    for feed in ctx.model_feeds:
        if feed.stage != "infer":
            continue
        info = array_info(facts, feed.data, feed.scope, feed.stmt, index)
        if not info.dtype or info.lib == "pandas" or is_float64_tensor(info):
            continue
        if _is_sklearn(facts, feed, index):
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
