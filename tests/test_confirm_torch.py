"""Confirmation probes on real torch artifacts: TorchScript, torch.export and torch.save archives."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from preplint.confirm import ConfirmOptions, audit_artifact, confirm_diagnostics, render_audit_text
from preplint.confirm.pickle_scan import scan_pickles
from preplint.confirm.probes import detect_format
from preplint.diagnostics import Diagnostic, Severity

pytestmark = pytest.mark.slow

torch = pytest.importorskip("torch")


class DropoutNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(4, 16)
        self.drop = torch.nn.Dropout(0.5)
        self.out = torch.nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.drop(torch.relu(self.fc(x))))


class PlainNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(4, 8)
        self.out = torch.nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.fc(x)))


class Canary:
    """Unpickling this creates a file: proof that a load ran code from the artifact."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


@pytest.fixture(scope="session")
def torch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("torch")
    torch.manual_seed(0)
    dropout = DropoutNet()
    torch.jit.save(
        torch.jit.script(dropout), str(folder / "dropout_ts.pt")
    )  # saved in training mode
    torch.jit.save(torch.jit.script(PlainNet().eval()), str(folder / "plain_ts.pt"))
    program = torch.export.export(dropout, (torch.randn(8, 4),))
    torch.export.save(program, str(folder / "dropout.pt2"))
    torch.save(dropout.state_dict(), folder / "weights.pt")
    torch.save(
        dropout.state_dict(), folder / "weights_legacy.pt", _use_new_zipfile_serialization=False
    )
    torch.save(
        {"model": dropout.state_dict(), "hook": Canary(folder / "canary.txt")}, folder / "canary.pt"
    )
    assert not (folder / "canary.txt").exists()
    return folder


def diagnostic(code: str, artifact: str, folder: Path) -> Diagnostic:
    return Diagnostic(
        code=code,
        name="test",
        severity=Severity.ERROR,
        message=f"{code} on {artifact}",
        path=str(folder / "predict.py"),
        line=1,
        column=1,
        end_line=1,
        end_column=2,
        artifact=artifact,
    )


CASES = [
    ("DTYPE002", "dropout_ts.pt"),
    ("MODE001", "dropout_ts.pt"),
    ("ENV001", "dropout_ts.pt"),
    ("MODE001", "plain_ts.pt"),
    ("DTYPE002", "plain_ts.pt"),
    ("MODE001", "dropout.pt2"),
    ("DTYPE002", "dropout.pt2"),
    ("ENV001", "dropout.pt2"),
    ("MODE001", "weights.pt"),
    ("SAFE001", "weights.pt"),
    ("SAFE001", "weights_legacy.pt"),
    ("SAFE001", "canary.pt"),
    ("MODE001", "canary.pt"),
    ("LOAD001", "dropout_ts.pt"),
]


@pytest.fixture(scope="session")
def confirmed(torch_dir: Path) -> dict[tuple[str, str], Any]:
    diagnostics = [diagnostic(code, artifact, torch_dir) for code, artifact in CASES]
    result = confirm_diagnostics(diagnostics, ConfirmOptions(timeout=120))
    out = {}
    for d in result:
        assert d.confirmation is not None, d
        out[(d.code, d.artifact)] = (d.confirmation.status, d.confirmation.evidence)
    return out


def test_formats_are_recognised(torch_dir: Path) -> None:
    formats = {
        name: detect_format(torch_dir / name).format
        for name in ("dropout_ts.pt", "dropout.pt2", "weights.pt", "weights_legacy.pt")
    }
    assert formats == {
        "dropout_ts.pt": "torchscript",
        "dropout.pt2": "torch-export",
        "weights.pt": "torch-zip",
        "weights_legacy.pt": "torch-legacy",
    }


def test_float32_torchscript_fed_float64_fails(confirmed: dict[tuple[str, str], Any]) -> None:
    state, evidence = confirmed[("DTYPE002", "plain_ts.pt")]
    assert state == "confirmed", evidence
    assert "model weights float32" in evidence
    assert "float64 batch raised RuntimeError" in evidence
    assert "Double" in evidence and "Float" in evidence


def test_torchscript_dropout_is_mode_sensitive(confirmed: dict[tuple[str, str], Any]) -> None:
    state, evidence = confirmed[("MODE001", "dropout_ts.pt")]
    assert state == "confirmed", evidence
    assert "argmax changed for" in evidence and "of 8 samples" in evidence
    assert "inference mode deterministic (max |Δ| 0 over 2 runs)" in evidence
    assert "Dropout 'drop'" in evidence
    assert "saved in training mode" in evidence
    state, evidence = confirmed[("MODE001", "plain_ts.pt")]
    assert state == "refuted", evidence
    assert "max |Δ| = 0" in evidence


def test_exported_program_mode_and_dtype(confirmed: dict[tuple[str, str], Any]) -> None:
    state, evidence = confirmed[("MODE001", "dropout.pt2")]
    assert state == "confirmed", evidence
    assert "saved in training mode (dropout)" in evidence
    state, evidence = confirmed[("DTYPE002", "dropout.pt2")]
    assert state == "confirmed", evidence
    assert "model input float32 (8, 4)" in evidence


def test_torch_versions(confirmed: dict[tuple[str, str], Any]) -> None:
    state, evidence = confirmed[("ENV001", "dropout.pt2")]
    assert state == "refuted"
    assert f"saved with torch {torch.__version__}" in evidence
    state, evidence = confirmed[("ENV001", "dropout_ts.pt")]
    assert state == "inconclusive"
    assert "records no torch version" in evidence


def test_weights_only_archive(confirmed: dict[tuple[str, str], Any]) -> None:
    state, evidence = confirmed[("MODE001", "weights.pt")]
    assert state == "inconclusive"
    assert "weights only" in evidence
    for artifact in ("weights.pt", "weights_legacy.pt"):
        state, evidence = confirmed[("SAFE001", artifact)]
        assert state == "refuted", evidence
        assert "torch._utils._rebuild_tensor_v2" in evidence


def test_probe_that_does_not_fit_the_format(confirmed: dict[tuple[str, str], Any]) -> None:
    state, evidence = confirmed[("LOAD001", "dropout_ts.pt")]
    assert state == "inconclusive"
    assert "reads Keras models" in evidence


def test_pickle_canary_in_a_torch_archive_is_reported_not_run(
    confirmed: dict[tuple[str, str], Any], torch_dir: Path
) -> None:
    state, evidence = confirmed[("SAFE001", "canary.pt")]
    assert state == "confirmed"
    assert "io.open" in evidence
    state, evidence = confirmed[("MODE001", "canary.pt")]
    assert state == "inconclusive"
    assert "pass --trust-artifacts" in evidence
    audit = audit_artifact(
        torch_dir / "canary.pt", input_path=None, options=ConfirmOptions(timeout=120)
    )
    assert "io.open" in audit["pickle"]["disallowed"]
    assert "outside the allow-list: io.open" in render_audit_text(audit)
    assert not (torch_dir / "canary.txt").exists()


def _torchscript_with_payload(path: Path, canary: Path) -> None:
    """A TorchScript-shaped archive whose data.pkl would run a payload."""
    payload = pickle.dumps(Canary(canary), protocol=2)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/code/__torch__.py", "")
        archive.writestr("evil/data.pkl", payload)
        archive.writestr("evil/constants.pkl", pickle.dumps((), protocol=2))
        archive.writestr("evil/version", "3\n")


def test_torchscript_archive_is_loaded_only_after_a_clean_scan(tmp_path: Path) -> None:
    canary = tmp_path / "canary.txt"
    _torchscript_with_payload(tmp_path / "evil.pt", canary)
    assert detect_format(tmp_path / "evil.pt").format == "torchscript"
    (result,) = confirm_diagnostics(
        [diagnostic("MODE001", "evil.pt", tmp_path)], ConfirmOptions(timeout=60)
    )
    assert result.confirmation is not None
    assert result.confirmation.status == "inconclusive"
    assert "a TorchScript archive runs its own code" in result.confirmation.evidence
    assert "io.open" in result.confirmation.evidence
    assert not canary.exists()


def test_torchscript_archives_scan_clean(torch_dir: Path) -> None:
    scan = scan_pickles(torch_dir / "dropout_ts.pt")
    assert scan.kind == "torchscript"
    assert scan.safe, scan.disallowed
    assert any(name.startswith("__torch__.") for name in scan.imports)


def test_audit_of_an_exported_program(torch_dir: Path) -> None:
    audit = audit_artifact(
        torch_dir / "dropout.pt2", input_path=None, options=ConfirmOptions(timeout=120)
    )
    assert audit["format"] == "torch-export"
    assert audit["input_signature"] == [{"name": "x", "shape": [8, 4], "dtype": "float32"}]
    assert audit["mode_sensitivity"]["answer"] is True
    assert audit["dtype_sensitivity"]["answer"] is True
    assert audit["model"]["parameters"] == 4 * 16 + 16 + 16 * 3 + 3
    assert audit["pickle"]["safe"] is True
    assert "mode sensitivity: sensitive" in render_audit_text(audit)


def test_torch_legacy_file_scan(torch_dir: Path) -> None:
    """Legacy files hold five pickles in a row, then raw storage bytes."""
    scan = scan_pickles(torch_dir / "weights_legacy.pt")
    assert scan.kind == "torch-legacy"
    assert scan.error is None
    assert "torch._utils._rebuild_tensor_v2" in scan.imports


PREDICT = """\
import numpy as np
import torch

model = torch.jit.load({artifact!r})
model.eval()
x = np.random.rand(8, 4)
with torch.no_grad():
    y = model(torch.from_numpy(x))
"""


def _preplint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preplint", "check", "--no-cache", "--confirm", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_confirm_end_to_end(torch_dir: Path, tmp_path: Path) -> None:
    shutil.copy(torch_dir / "plain_ts.pt", tmp_path / "model.pt")
    (tmp_path / "predict.py").write_text(PREDICT.format(artifact="model.pt"))
    (tmp_path / "predict_gone.py").write_text(PREDICT.format(artifact="gone.pt"))
    run = _preplint(tmp_path, "--format", "json", "predict.py", "predict_gone.py")
    findings = {(d["path"], d["code"]): d for d in json.loads(run.stdout)["diagnostics"]}
    confirmation = findings[("predict.py", "DTYPE002")]["confirmation"]
    assert confirmation["status"] == "confirmed", confirmation
    assert confirmation["probe"] == "dtype-sensitivity"
    assert confirmation["artifact"] == "model.pt"
    assert "float64 batch raised RuntimeError" in confirmation["evidence"]
    assert findings[("predict_gone.py", "DTYPE002")]["confirmation"] is None
    text = _preplint(tmp_path, "predict_gone.py").stdout
    assert "no artifact found for 'gone.pt'" in text
