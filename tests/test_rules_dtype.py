"""DTYPE001-DTYPE003 on varied realistic snippets and projects: each case lists where each code must fire."""

from __future__ import annotations

import pytest

from preplint.analysis.arrays import array_info
from preplint.facts.project import ProjectIndex
from tests.helpers import as_project, expected_lines, lint

CODES = ("DTYPE001", "DTYPE002", "DTYPE003")

CASES: dict[str, str | dict[str, str]] = {
    "cross_file_config_path_int_literal": {
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
    "predictor_class_uint8_images": {
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
    "same_dtype_cross_file_is_quiet": {
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
    "unknown_training_dtype_is_quiet": {
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
    "split_keeps_the_cast": """
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
    "predict_helper_parameter": """
import numpy as np
import torch

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, x):
        return self.fc(x)

def run(model, batch):
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(batch))  # expect: DTYPE002

net = Net()
net.load_state_dict(torch.load("net.pt", weights_only=True))
run(net, np.loadtxt("rows.csv", delimiter=","))
""",
    "float_tensor_and_double_model_are_quiet": """
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
    "dataloader_of_float64_tensors": """
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

X = np.random.randn(64, 5)
y = np.random.randn(64)
ds = TensorDataset(torch.from_numpy(X), torch.from_numpy(y).float())  # expect: DTYPE002
loader = DataLoader(ds, batch_size=8)
model = torch.nn.Linear(5, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for xb, yb in loader:
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(xb).squeeze(-1), yb)
    loss.backward()
    opt.step()
""",
    "keras_input_shape_cross_file": {
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
    "input_dim_and_wrong_width": """
import numpy as np
from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(8, input_dim=3), keras.layers.Dense(1)])
model.predict(np.array([[1.0, 2.0, 3.0]]))
model.predict(np.ones((2, 4)))  # expect: DTYPE003
""",
    "other_test_declares_the_input_shape": {
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
    "each_test_checked_against_its_own_model": {
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
    "same_file_name_saved_by_two_tests": {
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
    "dtype_of_another_model_saved_to_the_same_name": """
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
    "helper_builds_the_model": """
import numpy as np
from tensorflow import keras

def build(width):
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(width)])
    net.compile(loss="mse")
    return net

model = build(8)
model.predict(np.zeros((2, 5)))  # expect: DTYPE003
""",
    "helper_returns_one_of_several_models": """
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
    "embedding_input_dim_is_a_vocabulary": """
import numpy as np
from tensorflow import keras
model = keras.Sequential([keras.layers.Embedding(input_dim=5000, output_dim=16), keras.layers.GlobalAveragePooling1D()])
model.predict(np.zeros((2, 40), dtype="int32"))
""",
    "vector_of_scalars_for_one_feature": """
import numpy as np
from tensorflow import keras
model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
model.predict(np.array([1.0, 2.0, 3.0]))
model.predict(np.zeros((3, 2)))  # expect: DTYPE003
""",
    "two_models_with_different_inputs_are_quiet": """
import numpy as np
from tensorflow import keras
enc = keras.Sequential([keras.layers.Dense(8, input_shape=(16,))])
dec = keras.Sequential([keras.layers.Dense(16, input_shape=(8,))])
dec.predict(np.zeros((1, 8)))
""",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_dtype_case(name: str) -> None:
    example = CASES[name]
    sources = as_project(example)
    diagnostics = lint(example)
    for code in CODES:
        found = {(d.path, d.line) for d in diagnostics if d.code == code}
        assert found == expected_lines(sources, code), code


def test_dtype001_names_the_artifact_and_the_training_side() -> None:
    example = CASES["cross_file_config_path_int_literal"]
    [d] = [d for d in lint(example) if d.code == "DTYPE001"]
    assert d.artifact == "artifacts/linear.keras"
    assert d.related and d.related[0].path == "train.py"
    assert "int64" in d.message and "float32" in d.message


def test_dtype002_fix_appends_float() -> None:
    src = "import numpy as np\nimport torch\nm = torch.nn.Linear(2, 1)\nout = m(torch.from_numpy(np.random.rand(3, 2)))\n"
    [d] = [d for d in lint(src) if d.code == "DTYPE002"]
    assert d.fix is not None and not d.fix.unsafe
    [edit] = d.fix.edits
    line = src.splitlines()[edit.line - 1]
    fixed = line[: edit.column - 1] + edit.replacement + line[edit.end_column - 1 :]
    assert fixed == "out = m(torch.from_numpy(np.random.rand(3, 2)).float())"


def test_dtype002_artifact_for_a_loaded_module() -> None:
    src = """
import numpy as np
import torch
model = torch.jit.load("export/model.pt")
model.eval()
with torch.no_grad():
    y = model(torch.tensor(np.loadtxt("x.txt")))
"""
    [d] = [d for d in lint(src) if d.code == "DTYPE002"]
    assert d.artifact == "export/model.pt"


@pytest.mark.parametrize(
    ("expr", "dtype", "shape"),
    [
        ("np.array([[4], [5]])", "int64", (2, 1)),
        ("np.array([[4.0], [5]])", "float64", (2, 1)),
        ("np.random.rand(3, 2)", "float64", (3, 2)),
        ("np.zeros((3, 2), dtype=np.float32)", "float32", (3, 2)),
        ("np.random.rand(3, 2).astype('float32') / 255.0", "float32", (3, 2)),
        ("np.random.randint(0, 9, size=(4,)) / 2", "float64", (4,)),
        ("torch.tensor([[1.0, 2.0]])", "float32", (1, 2)),
        ("torch.from_numpy(np.ones((2, 2)))", "float64", (2, 2)),
        ("torch.from_numpy(np.ones((2, 2))).float()", "float32", (2, 2)),
        ("tf.cast(np.ones(3), tf.float32)", "float32", (3,)),
        ("df.values", "", None),
        ("df.to_numpy()", "", None),
        ("np.load('x.npy')", "", None),
        ("np.array([[int(v) for v in row]])", "int64", None),
    ],
)
def test_array_info(expr: str, dtype: str, shape: tuple[int, ...] | None) -> None:
    from preplint.engine import extract_source

    src = f"import numpy as np\nimport torch\nimport tensorflow as tf\nimport pandas as pd\ndf = pd.read_csv('a')\nrow = ['1']\nvalue = {expr}\n"
    facts = extract_source(src, "a.py").facts
    assert facts is not None
    assign = [a for a in facts.assigns if a.targets == ("value",)][0]
    info = array_info(facts, assign.value, "", assign.stmt, ProjectIndex([facts]))
    assert (info.dtype, info.shape) == (dtype, shape)
