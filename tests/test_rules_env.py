"""ENV001 beyond its examples: where a project's finding is reported, and which runs it judges."""

from __future__ import annotations

from tests.helpers import lint

_TORCH_TRAIN = 'import torch\ntorch.save(model.state_dict(), "m.pt")\n'
_SKLEARN_TRAIN = """
import joblib
from sklearn.linear_model import Ridge
reg = Ridge().fit(X, y)
joblib.dump(reg, "ridge.joblib")
"""


def test_env001_reported_once_per_project() -> None:
    project = {
        "train_a.py": _TORCH_TRAIN,
        "train_b.py": _TORCH_TRAIN,
        "requirements.txt": "torch\n",
    }
    found = [d for d in lint(project) if d.code == "ENV001"]
    assert [(d.path, d.line) for d in found] == [("requirements.txt", 1)]


def test_single_script_without_dependency_file_is_not_judged() -> None:
    assert not [d for d in lint(_SKLEARN_TRAIN) if d.code == "ENV001"]
