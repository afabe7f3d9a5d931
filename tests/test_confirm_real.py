"""--confirm on real projects: their own train.py saves the artifacts on CPU, the CLI confirms.

Covers a state_dict rebuilt from the project (Dropout: confirmed; no Dropout/BatchNorm:
refuted; arguments from a config JSON and from a checkpoint's hparams; arguments nobody
recorded), a pickled project model with --trust-artifacts, TorchScript, and a Keras model with a
project custom layer saved by model.save and by a ModelCheckpoint callback.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

PROJECTS = Path(__file__).parent / "data" / "confirm_projects"
_DELTA = re.compile(r"training vs inference mode: max \|Δ\| = ([0-9.e+-]+)")
_ARGMAX = re.compile(r"argmax changed for ([0-9.]+)% of (\d+) samples")


def built(name: str, folder: Path) -> Path:
    """A copy of the project with the artifacts its own train.py saves."""
    project = folder / name
    shutil.copytree(PROJECTS / name, project)
    (project / "artifacts").mkdir()
    proc = subprocess.run(
        [sys.executable, "train.py"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**_quiet_env(), "CUDA_VISIBLE_DEVICES": ""},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (project / "imported.txt").unlink(missing_ok=True)  # train.py imported the project
    return project


def _quiet_env() -> dict[str, str]:
    import os

    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def confirm(project: Path, *flags: str, target: str = ".") -> dict[tuple[str, str], Any]:
    """(code, script) -> the confirmation of `preplint check --confirm` on the project.

    With `--preview`: a MODE001 finding on a module without Dropout or BatchNorm is a preview
    part (info), and confirmation is what refutes it.
    """
    proc = subprocess.run(
        [sys.executable, "-m", "preplint", "check", "--confirm", "--no-cache", "--format", "json"]
        + ["--preview", *flags, "--confirm-timeout", "240", target],
        cwd=project,
        capture_output=True,
        text=True,
        env=_quiet_env(),
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    found = {}
    for item in json.loads(proc.stdout)["diagnostics"]:
        if item["confirmation"] is not None:
            found[(item["code"], Path(item["path"]).name)] = item["confirmation"]
    return found


def delta(evidence: str) -> float:
    match = _DELTA.search(evidence)
    assert match, evidence
    return float(match.group(1))


@pytest.fixture(scope="module")
def torch_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    return built("torch_project", tmp_path_factory.mktemp("real"))


@pytest.fixture(scope="module")
def torch_without_flag(torch_project: Path) -> dict[tuple[str, str], Any]:
    found = confirm(torch_project)
    # Without --import-project the project's code never ran.
    assert not (torch_project / "imported.txt").exists()
    return found


@pytest.fixture(scope="module")
def torch_imported(
    torch_project: Path, torch_without_flag: dict[tuple[str, str], Any]
) -> dict[tuple[str, str], Any]:
    found = confirm(torch_project, "--import-project")
    assert (torch_project / "imported.txt").exists()
    return found


def test_state_dict_with_dropout_is_confirmed(torch_imported: dict[tuple[str, str], Any]) -> None:
    result = torch_imported[("MODE001", "predict_drop.py")]
    assert result["status"] == "confirmed", result
    evidence = result["evidence"]
    assert evidence.startswith(
        "rebuilt model.DropNet(4, hidden=32, p=0.5) (arguments from train.py:14) "
        "and loaded the weights with weights_only=True;"
    )
    assert delta(evidence) > 0.01
    assert "Dropout 'drop'" in evidence
    assert "saved in training mode" not in evidence  # a state_dict records no mode


def test_state_dict_without_dropout_or_batchnorm_is_refuted(
    torch_imported: dict[tuple[str, str], Any],
) -> None:
    result = torch_imported[("MODE001", "predict_plain.py")]
    assert result["status"] == "refuted", result
    # The constructor took **cfg (not a literal): its values came from the JSON saved beside.
    assert "rebuilt model.PlainNet(n_in=4, hidden=8)" in result["evidence"]
    assert "**cfg from plain.json" in result["evidence"]
    assert delta(result["evidence"]) == 0.0
    assert _ARGMAX.search(result["evidence"]).group(1) == "0.0"  # type: ignore[union-attr]
    assert "no Dropout/BatchNorm layers" in result["evidence"]


def test_checkpoint_dict_hparams_give_the_arguments(
    torch_imported: dict[tuple[str, str], Any],
) -> None:
    result = torch_imported[("MODE001", "predict_ckpt.py")]
    assert result["status"] == "confirmed", result
    assert "rebuilt model.DropNet(n_in=4, hidden=24, p=0.5)" in result["evidence"]
    assert "**hparams from the checkpoint's 'hparams'" in result["evidence"]
    assert delta(result["evidence"]) > 0.01


def test_arguments_nobody_recorded_are_named(torch_imported: dict[tuple[str, str], Any]) -> None:
    result = torch_imported[("MODE001", "predict_unknown.py")]
    assert result["status"] == "inconclusive"
    assert result["evidence"].startswith(
        "cannot rebuild model.PlainNet from train.py:30: the value of width is neither a literal "
        "nor recorded next to the weights"
    )
    # The load site's PlainNet(4) was tried too, and its default width does not fit.
    assert (
        "1 more constructor call in the project did not take the weights either"
        in (result["evidence"])
    )


def test_without_import_project_the_flag_is_named(
    torch_without_flag: dict[tuple[str, str], Any],
) -> None:
    for script in ("predict_drop.py", "predict_plain.py", "predict_ckpt.py"):
        result = torch_without_flag[("MODE001", script)]
        assert result["status"] == "inconclusive"
        assert "pass --import-project to rebuild model." in result["evidence"], result
    assert (
        "model.DropNet (seen at train.py:14)"
        in (torch_without_flag[("MODE001", "predict_drop.py")]["evidence"])
    )
    # Import-project does not open pickles: the whole module still needs --trust-artifacts.
    whole = torch_without_flag[("MODE001", "predict_whole.py")]
    assert whole["status"] == "inconclusive"
    assert "model.DropNet" in whole["evidence"] and "--trust-artifacts" in whole["evidence"]


def test_pickled_project_model_loads_with_trust(torch_project: Path) -> None:
    found = confirm(torch_project, "--trust-artifacts", target="predict_whole.py")
    result = found[("MODE001", "predict_whole.py")]
    assert result["status"] == "confirmed", result
    assert delta(result["evidence"]) > 0.01
    assert "saved in training mode" in result["evidence"]
    assert "No module named" not in result["evidence"]


def test_torchscript_mode_probe(torch_project: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "preplint", "confirm", "--format", "json"]
        + ["--timeout", "240", "artifacts/scripted.pt"],
        cwd=torch_project,
        capture_output=True,
        text=True,
        env=_quiet_env(),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    audit = json.loads(proc.stdout)
    assert audit["format"] == "torchscript"
    mode = audit["mode_sensitivity"]
    assert mode["answer"] is True, mode
    assert mode["facts"]["train_vs_infer"] > 0.01
    assert mode["facts"]["saved_mode"] == "training"
    assert mode["facts"]["dropout"] == ["Dropout 'drop'"]


@pytest.fixture(scope="module")
def keras_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("keras")
    project = built("keras_project", tmp_path_factory.mktemp("real"))
    assert (project / "artifacts" / "best.keras").is_file()  # written by ModelCheckpoint
    return project


def test_keras_custom_layer_from_the_project(keras_project: Path) -> None:
    found = confirm(keras_project, "--import-project")
    load = found[("LOAD001", "predict.py")]
    assert load["status"] == "confirmed", load
    assert load["evidence"] == (
        "load failed without custom objects: TypeError: Could not locate class 'Scale'; "
        'confirmed fix: loads with custom_objects={"Scale": layers.Scale} '
        "(compile=False, safe_mode=True)"
    )
    # The ModelCheckpoint file loads the same way and runs in both modes.
    mode = found[("MODE003", "predict_best.py")]
    assert mode["status"] == "confirmed", mode
    assert mode["artifact"] == "artifacts/best.keras"
    assert delta(mode["evidence"]) > 0.01
    assert "Dropout 'dropout'" in mode["evidence"]


def test_keras_without_import_project(keras_project: Path) -> None:
    found = confirm(keras_project)
    load = found[("LOAD001", "predict.py")]
    assert load["status"] == "confirmed"
    assert load["evidence"].endswith(
        "pass --import-project to load it with the project's classes as custom_objects"
    )
    mode = found[("MODE003", "predict_best.py")]
    assert mode["status"] == "inconclusive"
    assert "Could not locate class 'Scale'" in mode["evidence"]
    assert mode["evidence"].endswith("pass --import-project to load it with the project's classes")
