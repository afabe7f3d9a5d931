"""Probe names, which rules they confirm, and how an artifact's format is recognised on disk."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

LOAD = "load-without-custom-objects"
SAFE_MODE = "safe-mode-load"
MODE = "mode-sensitivity"
DTYPE = "dtype-sensitivity"
PREPROCESSING = "embedded-preprocessing"
VERSION = "version-drift"
PICKLE = "pickle-scan"

# Probes that need the worker; the pickle scan runs in the linter's own process.
WORKER_PROBES = frozenset({LOAD, SAFE_MODE, MODE, DTYPE, PREPROCESSING, VERSION})

KERAS_FORMATS = frozenset({"keras-v3", "keras-h5"})
TORCH_FORMATS = frozenset({"torchscript", "torch-export", "torch-zip", "torch-legacy"})
PICKLE_FORMATS = frozenset({"pickle", "joblib"})
# Formats whose loading unpickles: the scan decides whether they may be loaded.
SCANNED_FORMATS = TORCH_FORMATS | PICKLE_FORMATS

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
# torch.save's legacy format starts with a protocol 2 pickle of its magic number.
_TORCH_LEGACY_HEAD = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav", ".dill")
_COMPRESSED_HEADS = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x78\x9c", b"\x78\xda", b"\x78\x01")


@dataclass(frozen=True)
class ArtifactFormat:
    """What an artifact on disk is: its framework and serialisation format."""

    framework: str  # "keras", "torch", "tensorflow", "pickle" or "unknown"
    format: str


def probe_for(code: str) -> str | None:
    """The probe that can confirm a finding of rule `code`, if any (declared on the rule)."""
    from preplint.rules import get_rule

    found = get_rule(code)
    return found.probe if found is not None else None


def detect_format(path: Path) -> ArtifactFormat:
    """Recognise the artifact by its bytes (magic numbers, zip members), not only its suffix."""
    if path.is_dir():
        if (path / "saved_model.pb").exists():
            return ArtifactFormat("tensorflow", "tf-savedmodel")
        return ArtifactFormat("unknown", "directory")
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(_HDF5_MAGIC):
        return ArtifactFormat("keras", "keras-h5")
    if head.startswith(b"PK"):
        return _zip_format(path)
    if head.startswith(_TORCH_LEGACY_HEAD):
        return ArtifactFormat("torch", "torch-legacy")
    if path.suffix == ".joblib" or head.startswith(_COMPRESSED_HEADS):
        return ArtifactFormat("pickle", "joblib")
    if head[:1] == b"\x80" or path.suffix in _PICKLE_SUFFIXES:
        return ArtifactFormat("pickle", "pickle")
    return ArtifactFormat("unknown", "unknown")


def not_an_artifact(path: Path) -> str | None:
    """Why `path` is not a model artifact `preplint confirm` can read (None when it is one)."""
    fmt = detect_format(path)
    if fmt.framework != "unknown":
        return None
    if fmt.format == "directory":
        return "not a model artifact: a folder without saved_model.pb"
    return (
        "not a model artifact (expected .keras, .h5, a torch.save, TorchScript or torch.export "
        "archive, a pickle or joblib file, or a SavedModel folder)"
    )


def _zip_format(path: Path) -> ArtifactFormat:
    from preplint.confirm.pickle_scan import zip_kind

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return ArtifactFormat("unknown", "unknown")
    if "config.json" in names and ("metadata.json" in names or "model.weights.h5" in names):
        return ArtifactFormat("keras", "keras-v3")
    if any(n.endswith("data.pkl") or n.endswith("archive_format") for n in names):
        return ArtifactFormat("torch", zip_kind(names))
    return ArtifactFormat("unknown", "zip")


def supports(probe: str, fmt: ArtifactFormat) -> str | None:
    """None when `probe` can run on `fmt`, else why it cannot (for an inconclusive verdict)."""
    if probe == PICKLE:
        if fmt.format in SCANNED_FORMATS:
            return None
        return f"{fmt.format} artifacts hold no pickle to scan"
    if fmt.format == "tf-savedmodel":
        return "TensorFlow SavedModel directories are not probed (Keras 3 loads .keras and .h5)"
    if fmt.framework == "unknown":
        return f"not a model format preplint recognises ({fmt.format})"
    if probe in (LOAD, SAFE_MODE, PREPROCESSING) and fmt.framework != "keras":
        return f"{probe} reads Keras models; this is a {fmt.format} artifact"
    if probe in (MODE, DTYPE) and fmt.framework == "pickle":
        return f"{probe} runs Keras and torch models; this is a {fmt.format} artifact"
    return None
