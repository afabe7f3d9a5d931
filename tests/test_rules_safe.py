"""Regression cases for SAFE001 (pass-through `weights_only`, where the fix is offered) and SAFE002
(Keras's own sources). Other SAFE002 cases live in tests/test_rules_load.py."""

from __future__ import annotations

import pytest

from tests.helpers import as_project, expected_lines, lint


def check(example: str | dict[str, str], code: str) -> None:
    sources = as_project(example)
    found = lint(example)
    assert not [d for d in found if d.code in ("INTERNAL", "SYNTAX")], found
    got = {(d.path, d.line) for d in found if d.code == code}
    assert got == expected_lines(sources, code)


# --- SAFE001 -------------------------------------------------------------------------------------

SAFE001_CASES = {
    "pass-through-parameter-is-the-callers-choice": """
import torch
from typing import Optional

def load_state(path, map_location=None, weights_only: Optional[bool] = None):
    with open(path, "rb") as fh:
        return torch.load(fh, map_location=map_location, weights_only=weights_only)

class Strategy:
    def load_checkpoint(self, path, weights_only=True):
        meta = torch.load(path + ".meta", weights_only=weights_only)
        return meta

def outer(path, weights_only=True):
    def inner():
        return torch.load(path, weights_only=weights_only)
    return inner()
""",
    "pass-through-defaulting-to-false-is-reported": """
import torch

def restore_full(path, trusted=False):
    return torch.load(path, weights_only=trusted)  # expect: SAFE001
""",
    "caller-passing-literal-false-is-reported": {
        "io_utils.py": """
import torch

def read_blob(path, weights_only=True):
    return torch.load(path, map_location="cpu", weights_only=weights_only)
""",
        "resume.py": """
from io_utils import read_blob

safe = read_blob("last.ckpt")
also_safe = read_blob("last.ckpt", weights_only=True)
unsafe = read_blob("legacy.ckpt", weights_only=False)  # expect: SAFE001
positional = read_blob("legacy.ckpt", False)  # expect: SAFE001
""",
    },
    "caller-two-hops-away": """
import torch

def _read(path, weights_only):
    return torch.load(path, weights_only=weights_only)

def resume(task, path, weights_only=True):
    state = _read(path, weights_only=weights_only)
    task.load_state_dict(state["task"])

def test_resume(task):
    resume(task, "ckpt.pt", weights_only=False)  # expect: SAFE001
""",
    "literal-false-and-missing-flag-stay-reported": """
import torch

def load_any(path):
    full = torch.load(path, weights_only=False)  # expect: SAFE001
    plain = torch.load(path)  # expect: SAFE001
    return full, plain
""",
    "unrelated-false-argument-is-not-a-load": """
import torch

def read_blob(path, strict=True, weights_only=True):
    return torch.load(path, weights_only=weights_only)

state = read_blob("a.pt", strict=False)
""",
}


@pytest.mark.parametrize("name", sorted(SAFE001_CASES))
def test_safe001(name: str) -> None:
    check(SAFE001_CASES[name], "SAFE001")


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


# --- SAFE002 -------------------------------------------------------------------------------------

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
