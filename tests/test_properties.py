"""Things that must never happen, on generated programs: an internal error, or order depending on jobs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preplint.engine import lint_sources

hypothesmith = pytest.importorskip("hypothesmith")

ML_PRELUDE = "import torch\nimport numpy as np\nfrom tensorflow import keras\nimport joblib\n"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_generated_programs_never_cause_internal_errors(source: str) -> None:
    report = lint_sources({"gen.py": ML_PRELUDE + source})
    assert [d.message for d in report.diagnostics if d.code == "INTERNAL"] == []


SNIPPETS = st.sampled_from(
    [
        "model = torch.load('m.pt')\n",
        "model.eval()\n",
        "scaler = StandardScaler()\nX = scaler.fit_transform(X)\n",
        "with torch.no_grad():\n    y = model(x)\n",
        "for epoch in range(3):\n    loss.backward()\n    optimizer.step()\n",
        "keras.models.load_model('m.keras')\n",
        "np.random.seed(0)\n",
        "joblib.dump(scaler, 'scaler.pkl')\n",
        "def predict(x):\n    return model(x)\n",
        "class Net(torch.nn.Module):\n    def __init__(self, n):\n        super().__init__()\n",
        "x = torch.from_numpy(np.random.rand(3, 4))\n",
        "model.save('model.keras')\n",
        "if __name__ == '__main__':\n    main()\n",
    ]
)


@settings(max_examples=80, deadline=None)
@given(st.lists(SNIPPETS, min_size=1, max_size=12))
def test_ml_shaped_programs_never_cause_internal_errors(parts: list[str]) -> None:
    report = lint_sources({"script.py": ML_PRELUDE + "".join(parts)})
    assert [d.message for d in report.diagnostics if d.code in ("INTERNAL", "SYNTAX")] == []
