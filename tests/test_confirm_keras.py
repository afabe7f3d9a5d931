"""Confirmation probes on real Keras models saved as .keras and .h5, run through the real worker."""

from __future__ import annotations

import importlib
import json
import shutil
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from preplint.confirm import (
    ConfirmOptions,
    audit_artifact,
    confirm_diagnostics,
    planner,
    render_audit_text,
)
from preplint.diagnostics import Diagnostic, Severity

pytestmark = pytest.mark.slow

keras = pytest.importorskip("keras")
np = pytest.importorskip("numpy")

REGISTERED_MODULE = """
import keras


@keras.saving.register_keras_serializable(package="demo")
class RegisteredScale(keras.layers.Dense):
    def __init__(self, units, scale=2.0, **kwargs):
        super().__init__(units, **kwargs)
        self.scale = scale

    def call(self, inputs):
        return super().call(inputs) * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
"""


class ScaledDense(keras.layers.Dense):
    """A custom layer as a training script defines it: unregistered, in `__main__`."""

    def __init__(self, units: int, scale: float = 2.0, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.scale = scale

    def call(self, inputs: Any) -> Any:
        return super().call(inputs) * self.scale

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale}


ScaledDense.__module__ = "__main__"  # what `python train.py` records for a class defined there


def _sequential(*layers: Any) -> Any:
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), *layers])


def _with_keras_version(source: Path, target: Path, version: str) -> None:
    """Copy a .keras archive, recording another Keras version in its metadata."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "metadata.json":
                data = json.dumps({**json.loads(data), "keras_version": version}).encode()
            new.writestr(item, data)


@pytest.fixture(scope="session")
def keras_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every Keras artifact the tests probe, built once and kept tiny."""
    folder = tmp_path_factory.mktemp("keras")
    (folder / "mylayers.py").write_text(REGISTERED_MODULE)
    sys.path.insert(0, str(folder))
    try:
        mylayers = importlib.import_module("mylayers")
    finally:
        sys.path.remove(str(folder))
    _sequential(ScaledDense(3)).save(folder / "custom.keras")
    _sequential(ScaledDense(3)).save(folder / "custom.h5")
    _sequential(mylayers.RegisteredScale(3)).save(folder / "registered.keras")
    dropout = _sequential(
        keras.layers.Dense(16, activation="relu"), keras.layers.Dropout(0.5), keras.layers.Dense(3)
    )
    dropout.save(folder / "dropout.keras")
    dropout.save(folder / "dropout.h5")
    _sequential(keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)).save(
        folder / "plain.keras"
    )
    _with_keras_version(folder / "plain.keras", folder / "old.keras", "3.0.0")
    _sequential(
        keras.layers.Dense(8), keras.layers.BatchNormalization(), keras.layers.Dense(3)
    ).save(folder / "bn.keras")
    norm = keras.layers.Normalization(name="norm")
    norm.adapt(np.random.default_rng(0).normal(5.0, 3.0, size=(64, 4)).astype("float32"))
    _sequential(norm, keras.layers.Dense(3)).save(folder / "normalized.keras")
    canary = folder / "lambda-ran.txt"
    # Only a real lambda is stored as bytecode; calling it (at build or at load) creates the canary.
    writes_canary = eval(f"lambda x: (open({str(canary)!r}, 'w').close(), x)[1]")  # noqa: S307
    _sequential(keras.layers.Lambda(writes_canary, name="canary"), keras.layers.Dense(3)).save(
        folder / "lambda.keras"
    )
    canary.unlink()  # building the model ran it once; from now on it must stay absent
    return folder


def diagnostic(code: str, artifact: str | None, folder: Path) -> Diagnostic:
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
    ("LOAD001", "custom.keras"),
    ("LOAD002", "custom.keras"),
    ("LOAD001", "custom.h5"),
    ("LOAD001", "registered.keras"),
    ("LOAD001", "plain.keras"),
    ("MODE003", "dropout.keras"),
    ("DTYPE001", "dropout.keras"),
    ("PRE001", "dropout.keras"),
    ("ENV001", "dropout.keras"),
    ("MODE001", "dropout.h5"),
    ("ENV001", "dropout.h5"),
    ("MODE003", "plain.keras"),
    ("ENV001", "old.keras"),
    ("MODE004", "bn.keras"),
    ("MODE004", "dropout.keras"),
    ("PRE001", "normalized.keras"),
    ("PRE003", "normalized.keras"),
    ("LOAD001", "lambda.keras"),
    ("SAFE002", "lambda.keras"),
    ("SAFE002", "plain.keras"),
    ("MODE003", "lambda.keras"),
    ("SEED001", "plain.keras"),
    ("MODE001", "missing.keras"),
]


@pytest.fixture(scope="session")
def confirmed(keras_dir: Path) -> dict[tuple[str, str], Diagnostic]:
    """All cases through one confirm_diagnostics call, counting the worker runs per artifact."""
    runs: Counter[str] = Counter()
    real_run = planner.run_worker

    def counting_run(request: dict[str, Any], **limits: Any) -> Any:
        runs[Path(request["artifact"]).name] += 1
        return real_run(request, **limits)

    diagnostics = [diagnostic(code, artifact, keras_dir) for code, artifact in CASES]
    planner.run_worker = counting_run  # type: ignore[assignment]
    try:
        result = confirm_diagnostics(diagnostics, ConfirmOptions(timeout=120))
    finally:
        planner.run_worker = real_run  # type: ignore[assignment]
    assert [d.message for d in result] == [d.message for d in diagnostics]  # same order
    assert max(runs.values()) == 1, runs  # several probes, one worker per artifact
    assert "missing.keras" not in runs
    return {(d.code, Path(d.artifact or "").name): d for d in result}


def status(
    confirmed: dict[tuple[str, str], Diagnostic], code: str, artifact: str
) -> tuple[str, str]:
    confirmation = confirmed[(code, artifact)].confirmation
    assert confirmation is not None, (code, artifact)
    assert confirmation.artifact == artifact
    return confirmation.status, confirmation.evidence


def test_custom_layer_without_custom_objects_fails_to_load(
    confirmed: dict[tuple[str, str], Diagnostic],
) -> None:
    for code, artifact in (
        ("LOAD001", "custom.keras"),
        ("LOAD002", "custom.keras"),
        ("LOAD001", "custom.h5"),
    ):
        state, evidence = status(confirmed, code, artifact)
        assert state == "confirmed", evidence
        assert "load failed without custom objects" in evidence
        assert "ScaledDense" in evidence
    assert "ScaledDense from __main__" in status(confirmed, "LOAD001", "custom.keras")[1]


def test_registered_class_in_an_importable_module_refutes(
    confirmed: dict[tuple[str, str], Diagnostic],
) -> None:
    state, evidence = status(confirmed, "LOAD001", "registered.keras")
    assert state == "refuted", evidence
    assert "demo>RegisteredScale in mylayers" in evidence
    assert "checked in source" in evidence


@pytest.fixture(scope="session")
def trusted(keras_dir: Path) -> tuple[dict[str, Diagnostic], bool]:
    """Findings confirmed with --trust-artifacts, and whether the Lambda canary ran meanwhile."""
    canary = keras_dir / "lambda-ran.txt"
    diagnostics = [
        diagnostic("LOAD001", "registered.keras", keras_dir),
        diagnostic("MODE003", "lambda.keras", keras_dir),
    ]
    result = confirm_diagnostics(diagnostics, ConfirmOptions(trust_artifacts=True, timeout=120))
    ran = canary.exists()
    canary.unlink(missing_ok=True)  # the untrusted tests must find it absent
    return {d.artifact or "": d for d in result}, ran


def test_registered_class_loads_once_its_module_is_imported_when_trusted(
    trusted: tuple[dict[str, Diagnostic], bool],
) -> None:
    confirmation = trusted[0]["registered.keras"].confirmation
    assert confirmation is not None
    assert confirmation.status == "refuted", confirmation.evidence
    assert "loads once `mylayers` is imported" in confirmation.evidence


def test_lambda_canary_runs_when_trusted(trusted: tuple[dict[str, Diagnostic], bool]) -> None:
    """The control: the canary is real, so its absence elsewhere means safe_mode held."""
    results, ran = trusted
    assert ran
    confirmation = results["lambda.keras"].confirmation
    assert confirmation is not None
    assert confirmation.status == "refuted", confirmation.evidence  # loaded, so the probe ran


def test_builtin_only_model_loads_without_custom_objects(
    confirmed: dict[tuple[str, str], Diagnostic],
) -> None:
    state, evidence = status(confirmed, "LOAD001", "plain.keras")
    assert state == "refuted"
    assert "every class in its config is built into Keras" in evidence


def test_dropout_model_is_mode_sensitive(confirmed: dict[tuple[str, str], Diagnostic]) -> None:
    for code, artifact in (("MODE003", "dropout.keras"), ("MODE001", "dropout.h5")):
        state, evidence = status(confirmed, code, artifact)
        assert state == "confirmed", evidence
        assert "training vs inference mode: max |Δ| = " in evidence
        assert "of 8 samples" in evidence
        assert "inference mode deterministic (max |Δ| 0 over 2 runs)" in evidence
        assert "Dropout 'dropout'" in evidence


def test_model_without_dropout_or_batchnorm_is_not_mode_sensitive(
    confirmed: dict[tuple[str, str], Diagnostic],
) -> None:
    state, evidence = status(confirmed, "MODE003", "plain.keras")
    assert state == "refuted", evidence
    assert "max |Δ| = 0" in evidence
    assert "no Dropout/BatchNorm layers" in evidence


def test_batchnorm_tiny_batches(confirmed: dict[tuple[str, str], Diagnostic]) -> None:
    state, evidence = status(confirmed, "MODE004", "bn.keras")
    assert state == "confirmed", evidence
    assert "BatchNormalization" in evidence
    state, evidence = status(confirmed, "MODE004", "dropout.keras")
    assert state == "refuted"
    assert evidence.startswith("no BatchNorm layer")


def test_keras_casts_float64_input(confirmed: dict[tuple[str, str], Diagnostic]) -> None:
    state, evidence = status(confirmed, "DTYPE001", "dropout.keras")
    assert state == "refuted", evidence
    assert "model input float32 (None, 4)" in evidence
    assert "float64 vs float32 of the same batch: max |Δ| = 0" in evidence


def test_embedded_normalization_refutes_missing_preprocessing(
    confirmed: dict[tuple[str, str], Diagnostic],
) -> None:
    for code in ("PRE001", "PRE003"):
        state, evidence = status(confirmed, code, "normalized.keras")
        assert state == "refuted"
        assert "Normalization 'norm' (adapted, 4 features)" in evidence
    state, evidence = status(confirmed, "PRE001", "dropout.keras")
    assert state == "confirmed"
    assert "no preprocessing layer among the model's" in evidence


def test_version_drift(confirmed: dict[tuple[str, str], Diagnostic]) -> None:
    installed = keras.__version__
    state, evidence = status(confirmed, "ENV001", "old.keras")
    assert state == "confirmed"
    assert f"saved with keras 3.0.0 (metadata.json), installed keras {installed}" in evidence
    assert status(confirmed, "ENV001", "dropout.keras")[0] == "refuted"
    state, evidence = status(confirmed, "ENV001", "dropout.h5")
    assert state == "refuted"
    assert f"saved with keras {installed} (HDF5 attribute keras_version)" in evidence


def test_lambda_canary_never_runs_without_trust(
    confirmed: dict[tuple[str, str], Diagnostic], keras_dir: Path
) -> None:
    canary = keras_dir / "lambda-ran.txt"
    state, evidence = status(confirmed, "SAFE002", "lambda.keras")
    assert state == "confirmed"
    assert "Lambda layer canary" in evidence
    assert status(confirmed, "LOAD001", "lambda.keras")[0] == "inconclusive"
    state, evidence = status(confirmed, "MODE003", "lambda.keras")
    assert state == "inconclusive"
    assert "the model did not load" in evidence
    assert status(confirmed, "SAFE002", "plain.keras")[0] == "refuted"
    audit = audit_artifact(
        keras_dir / "lambda.keras", input_path=None, options=ConfirmOptions(timeout=120)
    )
    assert audit["load"]["ok"] is False
    assert not canary.exists()


def test_no_probe_and_missing_artifact_keep_no_confirmation(
    confirmed: dict[tuple[str, str], Diagnostic],
) -> None:
    assert confirmed[("SEED001", "plain.keras")].confirmation is None
    missing = confirmed[("MODE001", "missing.keras")]
    assert missing.confirmation is None
    reason = planner.no_artifact_reason(missing)
    assert reason is not None and "no artifact found for 'missing.keras'" in reason


def test_audit_of_a_keras_model(keras_dir: Path, tmp_path: Path) -> None:
    sample = tmp_path / "sample.npy"
    np.save(sample, np.random.default_rng(1).normal(size=(5, 4)).astype("float32"))
    audit = audit_artifact(
        keras_dir / "dropout.keras", input_path=sample, options=ConfirmOptions(timeout=120)
    )
    json.dumps(audit)  # JSON-able as promised
    assert audit["framework"] == "keras" and audit["format"] == "keras-v3"
    assert audit["saved_version"]["saved"] == keras.__version__
    assert audit["version_drift"] is False
    assert audit["input_signature"] == [
        {"name": audit["input_signature"][0]["name"], "shape": [None, 4], "dtype": "float32"}
    ]
    assert audit["custom_objects_needed"] == []
    assert audit["model"]["dropout"] == ["Dropout 'dropout'"]
    assert audit["mode_sensitivity"]["answer"] is True
    assert (
        audit["mode_sensitivity"]["facts"]["samples"] == 5
    )  # the user's batch, not a synthetic one
    assert audit["dtype_sensitivity"]["answer"] is False
    text = render_audit_text(audit)
    assert "format: keras-v3 (keras)" in text
    assert "mode sensitivity: sensitive: training vs inference mode" in text
    assert "dropout layers: Dropout 'dropout'" in text


def test_artifact_found_through_artifact_roots(keras_dir: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(keras_dir / "plain.keras", models / "clf.keras")
    finding = diagnostic("ENV001", "clf.keras", tmp_path / "src")
    assert planner.resolve_artifact(finding) is None
    options = ConfirmOptions(artifact_roots=(models,))
    assert planner.resolve_artifact(finding, options) == models / "clf.keras"
    (result,) = confirm_diagnostics([finding], options)
    assert result.confirmation is not None and result.confirmation.status == "refuted"
