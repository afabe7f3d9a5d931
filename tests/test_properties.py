"""Things that must never happen, on generated programs: an internal error, or order depending on jobs."""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
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


# --- --fix reaches a fixed point on mutated real files ----------------------------------------------


@functools.lru_cache(maxsize=1)
def _fixable_sources() -> list[str]:
    """Files of fixtures/ and tests/corpus that have a fix to apply (read once, when needed)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    files = sorted((root / "fixtures").rglob("*.py")) + sorted(
        (root / "tests/corpus").rglob("*.py")
    )
    out = []
    for file in files:
        source = file.read_text(encoding="utf-8")
        if any(d.fix for d in lint_sources({"script.py": source}).diagnostics):
            out.append(source)
    return out


MUTATION = st.tuples(
    st.sampled_from(["delete", "duplicate", "insert", "swap"]),
    st.integers(min_value=0, max_value=400),
    SNIPPETS,
)


def _mutate(source: str, mutations: list[tuple[str, int, str]]) -> str:
    lines = source.splitlines(keepends=True)
    for kind, position, snippet in mutations:
        if not lines:
            break
        i = position % len(lines)
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "insert":
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            lines[i:i] = [indent + line + "\n" for line in snippet.splitlines()]
        else:
            j = (position * 7 + 3) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data(), st.lists(MUTATION, max_size=4))
def test_fix_reaches_a_fixed_point_on_mutated_files(
    data: st.DataObject, mutations: list[tuple[str, int, str]]
) -> None:
    import tempfile
    from pathlib import Path

    import libcst as cst

    from preplint.config import Config
    from preplint.engine import lint_paths
    from preplint.fix import apply_fixes, fix_until_stable

    source = data.draw(st.sampled_from(_fixable_sources()))
    text = _mutate(source, mutations)
    try:
        cst.parse_module(text)
    except Exception:
        assume(False)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "script.py"
        path.write_text(text, encoding="utf-8")
        config = Config(root=Path(folder))

        def lint():  # type: ignore[no-untyped-def]
            return lint_paths([str(path)], config, jobs=1)

        done = fix_until_stable(lint(), lint, unsafe=True)
        event("fixes applied" if done.fixed else "nothing to fix")
        assert done.unstable == ()
        after = path.read_text(encoding="utf-8")
        cst.parse_module(after)  # never a file that stops parsing
        again = apply_fixes(lint().diagnostics, unsafe=True)
        assert again.new_sources == {}, again.diffs
