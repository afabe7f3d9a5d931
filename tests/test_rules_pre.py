"""PRE rules: the parts in preview, which the rule examples (default tier) do not run."""

from __future__ import annotations

from preplint.config import Config
from preplint.engine import lint_sources

PCA_FOR_A_PLOT = """
import torch
from sklearn.decomposition import PCA

pca = PCA(n_components=2)
shown = pca.fit_transform(features)
net = Net()
opt = torch.optim.Adam(net.parameters())
for xb, yb in loader:
    opt.zero_grad()
    loss_fn(net(xb), yb).backward()
    opt.step()
torch.save(net.state_dict(), "net.pt")
plot_points(shown)
"""

SCALER_FEEDS_SAVED_MODEL = """
import joblib
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler

scaler = StandardScaler()
X = scaler.fit_transform(X_raw)
reg = Ridge().fit(X, y)
joblib.dump(reg, "reg.joblib")
"""


def findings(source: str, code: str, preview: bool) -> list[tuple[int, str, bool]]:
    report = lint_sources({"train.py": source}, Config(preview=preview))
    return [(d.line, d.severity.label, d.preview) for d in report.diagnostics if d.code == code]


def test_pre001_unfed_preprocessor_is_preview_info() -> None:
    assert findings(PCA_FOR_A_PLOT, "PRE001", preview=False) == []
    assert findings(PCA_FOR_A_PLOT, "PRE001", preview=True) == [(6, "info", True)]


def test_pre001_fed_preprocessor_is_a_default_error() -> None:
    assert findings(SCALER_FEEDS_SAVED_MODEL, "PRE001", preview=False) == [(7, "error", False)]


CHECKPOINT_RELOADED_IN_PLACE = """
import numpy as np
from sklearn.preprocessing import StandardScaler
from tensorflow import keras

scaler = StandardScaler()
X = scaler.fit_transform(X_raw)
model = keras.Sequential([keras.layers.Dense(10), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
checkpoint = keras.callbacks.ModelCheckpoint("my_model.keras")
model.fit(X, y, epochs=5, callbacks=[checkpoint])
model = keras.models.load_model("my_model.keras")
model.evaluate(scaler.transform(X_val), y_val)
"""


def test_pre001_model_read_back_only_where_it_was_written_is_preview_info() -> None:
    # The notebook that checkpoints a model and reloads it still holds the fitted scaler.
    assert findings(CHECKPOINT_RELOADED_IN_PLACE, "PRE001", preview=False) == []
    assert findings(CHECKPOINT_RELOADED_IN_PLACE, "PRE001", preview=True) == [(7, "info", True)]


def test_pre001_checkpointed_model_read_by_another_script_is_a_default_error() -> None:
    predict = 'from tensorflow import keras\nmodel = keras.models.load_model("my_model.keras")\n'
    train = CHECKPOINT_RELOADED_IN_PLACE.rsplit("model = keras.models.load_model", 1)[0]
    report = lint_sources({"train.py": train, "predict.py": predict})
    assert [
        (d.path, d.line, d.severity.label) for d in report.diagnostics if d.code == "PRE001"
    ] == [("train.py", 7, "error")]


SCALED_SYNTHETIC_BEFORE_SPLIT = """
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

X, y = make_classification(n_samples=1000, random_state=0)
X = StandardScaler().fit_transform(X)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
"""

SCALED_LOADED_BEFORE_SPLIT = SCALED_SYNTHETIC_BEFORE_SPLIT.replace(
    "make_classification(n_samples=1000, random_state=0)", "load_rows()"
)


def test_pre004_leak_on_a_synthetic_draw_is_info() -> None:
    assert findings(SCALED_SYNTHETIC_BEFORE_SPLIT, "PRE004", preview=False) == [(7, "info", False)]
    assert findings(SCALED_LOADED_BEFORE_SPLIT, "PRE004", preview=False) == [(7, "warning", False)]
