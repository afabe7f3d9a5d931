"""How worker facts become confirmed / refuted / inconclusive, and the evidence text (no framework)."""

from __future__ import annotations

from pathlib import Path

from preplint.confirm.registration import find_registration
from preplint.confirm.verdicts import (
    dtype_verdict,
    load_verdict,
    mode_verdict,
    preprocessing_verdict,
    version_verdict,
)

MODE_FACTS = {
    "samples": 8,
    "train_vs_infer": 0.42131,
    "argmax_changed": 0.375,
    "infer_repeat": 0.0,
    "train_repeat": 0.3,
    "dropout": ["Dropout 'dropout'"],
    "batchnorm": [],
    "augmentation": [],
}


def test_mode_evidence_reads_in_numbers() -> None:
    status, evidence = mode_verdict("MODE001", MODE_FACTS)
    assert status == "confirmed"
    assert evidence == (
        "training vs inference mode: max |Δ| = 0.4213, argmax changed for 37.5% of 8 samples; "
        "inference mode deterministic (max |Δ| 0 over 2 runs); mode-dependent layers: Dropout 'dropout'"
    )
    still = {**MODE_FACTS, "train_vs_infer": 0.0, "argmax_changed": 0.0, "dropout": []}
    assert mode_verdict("MODE003", still)[0] == "refuted"
    assert mode_verdict("MODE004", MODE_FACTS)[0] == "refuted"  # no BatchNorm at all
    assert mode_verdict("MODE001", {"error": "cannot guess"}) == ("inconclusive", "cannot guess")


def test_dtype_verdicts() -> None:
    inputs = [{"name": "x", "shape": [None, 4], "dtype": "float32"}]
    failed = {"inputs": inputs, "float64_error": "RuntimeError: expected Float but found Double"}
    assert dtype_verdict("DTYPE002", failed) == (
        "confirmed",
        "model input float32 (None, 4); float64 batch raised RuntimeError: expected Float but found Double",
    )
    cast = {"inputs": inputs, "max_abs_diff": 1e-8}
    assert dtype_verdict("DTYPE001", cast)[0] == "refuted"


def test_unregistered_class_confirms_load001() -> None:
    facts = {
        "ok": False,
        "error": "TypeError: Could not locate class 'ScaledDense'.",
        "missing": ["ScaledDense"],
        "custom_classes": [
            {"class_name": "ScaledDense", "module": "__main__", "registered_name": None}
        ],
        "registrations": [],
    }
    status, evidence = load_verdict("LOAD001", facts)
    assert status == "confirmed"
    assert evidence.endswith("(ScaledDense from __main__; no importable module registers it)")


def test_registration_found_in_source(tmp_path: Path) -> None:
    (tmp_path / "layers.py").write_text(
        "import keras\n\n@keras.saving.register_keras_serializable(package='demo')\n"
        "class Scale(keras.layers.Layer):\n    pass\n"
    )
    registration = find_registration("Scale", "layers", [str(tmp_path)])
    assert registration.registered_as == "demo>Scale"
    assert find_registration("Scale", "__main__", [str(tmp_path)]).source is None
    assert find_registration("Other", "layers", [str(tmp_path)]).registered_as is None
    facts = {
        "ok": False,
        "error": "TypeError: Could not locate class 'Scale'.",
        "missing": ["Scale"],
        "custom_classes": [
            {"class_name": "Scale", "module": "layers", "registered_name": "demo>Scale"}
        ],
        "registrations": [registration.to_json()],
    }
    assert load_verdict("LOAD001", facts)[0] == "refuted"
    # Registration finds the class, but only a real load shows that its config rebuilds it.
    assert load_verdict("LOAD002", facts)[0] == "inconclusive"
    failed_after_import = {
        **facts,
        "imported_modules": ["layers"],
        "retry_error": "TypeError: missing 'units'",
    }
    status, evidence = load_verdict("LOAD002", failed_after_import)
    assert status == "confirmed"
    assert "after importing `layers` it still fails: TypeError: missing 'units'" in evidence


def test_preprocessing_and_version_verdicts() -> None:
    assert (
        preprocessing_verdict("PRE001", {"layers": ["Rescaling 'r'"], "layer_count": 3})[0]
        == "refuted"
    )
    assert preprocessing_verdict("PRE003", {"layers": [], "layer_count": 3})[0] == "confirmed"
    drift = {
        "framework": "keras",
        "saved": "3.0.0",
        "installed": "3.15.1",
        "source": "metadata.json",
    }
    assert version_verdict("ENV001", drift) == (
        "confirmed",
        "saved with keras 3.0.0 (metadata.json), installed keras 3.15.1",
    )
    unknown = {
        "framework": "torch",
        "saved": None,
        "installed": "2.13.0",
        "records": {"version": "3"},
    }
    assert version_verdict("ENV001", unknown) == (
        "inconclusive",
        "the archive records no torch version (version 3); installed torch 2.13.0",
    )
