"""Reads the framework version an artifact records, and the installed one, without importing it."""

from __future__ import annotations

import importlib.metadata
import json
import zipfile
from pathlib import Path
from typing import Any

from preplint.confirm.pickle_scan import read_member

_FRAMEWORK_PACKAGE = {"keras": "keras", "torch": "torch", "tensorflow": "tensorflow"}


def installed_version(framework: str) -> str | None:
    """The installed distribution's version, read from its metadata (no framework import)."""
    package = _FRAMEWORK_PACKAGE.get(framework)
    if package is None:
        return None
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _keras_v3(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        metadata = (
            json.loads(read_member(archive, "metadata.json"))
            if "metadata.json" in archive.namelist()
            else {}
        )
    return {
        "saved": metadata.get("keras_version"),
        "source": "metadata.json",
        "saved_at": metadata.get("date_saved"),
    }


def _keras_h5(path: Path) -> dict[str, Any]:
    import h5py

    with h5py.File(path, "r") as handle:
        attrs = {k: handle.attrs.get(k) for k in ("keras_version", "backend")}
    decoded = {
        k: v.decode() if isinstance(v, bytes) else (str(v) if v is not None else None)
        for k, v in attrs.items()
    }
    return {
        "saved": decoded["keras_version"],
        "source": "HDF5 attribute keras_version",
        "backend": decoded["backend"],
    }


def _torch_zip(path: Path) -> dict[str, Any]:
    """torch zips record archive format versions; only torch.export records the torch version."""
    facts: dict[str, Any] = {"saved": None, "source": None, "records": {}}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            leaf = name.split("/", 1)[-1]
            if leaf in (
                "version",
                ".data/version",
                ".format_version",
                ".storage_alignment",
                "byteorder",
                "archive_format",
                "archive_version",
            ):
                facts["records"][leaf] = (
                    read_member(archive, name, 4096).decode(errors="replace").strip()
                )
            elif "/models/" in name and name.endswith(".json") and facts["saved"] is None:
                program = json.loads(read_member(archive, name))
                if isinstance(program, dict) and program.get("torch_version"):
                    facts["saved"] = program["torch_version"]
                    facts["source"] = f"{leaf} torch_version"
    return facts


def read_versions(path: Path, framework: str, fmt: str) -> dict[str, Any]:
    """What the artifact says about the version that wrote it, next to the installed version."""
    readers = {
        "keras-v3": _keras_v3,
        "keras-h5": _keras_h5,
        "torchscript": _torch_zip,
        "torch-export": _torch_zip,
        "torch-zip": _torch_zip,
    }
    reader = readers.get(fmt)
    facts: dict[str, Any] = {"framework": framework, "installed": installed_version(framework)}
    if reader is None:
        facts.update(saved=None, source=None, error=f"{fmt} artifacts record no framework version")
        return facts
    try:
        facts.update(reader(path))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        facts.update(saved=None, error=f"{type(exc).__name__}: {exc}")
    return facts
