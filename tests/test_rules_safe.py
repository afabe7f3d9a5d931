"""SAFE findings beyond where they fire: where SAFE001 offers its fix, SAFE002 in Keras's own sources."""

from __future__ import annotations

from tests.helpers import lint


def _fixes(example: str) -> list[bool]:
    return [d.fix is not None for d in lint(example) if d.code == "SAFE001"]


def test_safe001_fix_is_offered_for_a_missing_flag() -> None:
    assert _fixes('import torch\nstate = torch.load("m.pt", map_location="cpu")\n') == [True]


def test_safe001_no_fix_with_an_explicit_pickle_module() -> None:
    # torch refuses `weights_only=True` together with `pickle_module`
    assert _fixes('import dill\nimport torch\nobj = torch.load("m.pt", pickle_module=dill)\n') == [
        False
    ]
    assert _fixes('import dill\nimport torch\nobj = torch.load("m.pt", "cpu", dill)\n') == [False]


def test_safe001_no_fix_inside_a_function_that_takes_weights_only() -> None:
    # the flagless call is the fallback for `weights_only=False` or a torch without the flag:
    # inserting `weights_only=True` would override the caller or fail again
    example = """
import torch

def load_checkpoint(path, weights_only=True):
    try:
        return torch.load(path, weights_only=weights_only)
    except TypeError:
        if not weights_only:
            return torch.load(path)
        raise
"""
    assert _fixes(example) == [False]


_LAMBDA_ROUND_TRIP = """
import keras

def test_lambda_round_trip(tmp_path):
    path = str(tmp_path / "m.keras")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t * 3)])
    model.save(path)
    return keras.saving.load_model(path, safe_mode=False)
"""


def test_safe002_quiet_in_keras_own_sources() -> None:
    for path in ("keras/src/saving/roundtrip_test.py", "tf_keras/src/models/roundtrip_test.py"):
        assert [d for d in lint({path: _LAMBDA_ROUND_TRIP}) if d.code == "SAFE002"] == []


def test_safe002_same_code_in_a_project_is_reported() -> None:
    found = {
        d.line for d in lint({"tests/roundtrip_test.py": _LAMBDA_ROUND_TRIP}) if d.code == "SAFE002"
    }
    assert found == {5, 7}  # the Lambda and the load with safe_mode=False
