"""DTYPE findings beyond where they fire: messages, artifacts, fixes, and array inference."""

from __future__ import annotations

import pytest

from preplint.analysis.arrays import array_info
from preplint.facts.project import ProjectIndex
from tests.helpers import lint

# Also a DTYPE001 example in the rule's file.
CROSS_FILE_INT_LITERAL = {
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
}


def test_dtype001_names_the_artifact_and_the_training_side() -> None:
    example = CROSS_FILE_INT_LITERAL
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
    from preplint.pipeline.extraction import extract_source

    src = f"import numpy as np\nimport torch\nimport tensorflow as tf\nimport pandas as pd\ndf = pd.read_csv('a')\nrow = ['1']\nvalue = {expr}\n"
    facts = extract_source(src, "a.py").facts
    assert facts is not None
    assign = [a for a in facts.assigns if a.targets == ("value",)][0]
    info = array_info(facts, assign.value, "", assign.stmt, ProjectIndex([facts]))
    assert (info.dtype, info.shape) == (dtype, shape)
