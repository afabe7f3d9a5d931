"""Keras probes, run only inside the worker process: load, modes, dtypes, embedded preprocessing."""

from __future__ import annotations

import importlib
import json
import re
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from preplint.confirm import _arrays, _errors
from preplint.confirm._errors import guarded, is_resource_error, short_error
from preplint.confirm.pickle_scan import read_member
from preplint.confirm.probes import DTYPE, LOAD, MODE, PREPROCESSING, SAFE_MODE
from preplint.confirm.registration import find_class_module, find_registration

_KERAS_PACKAGES = frozenset({"keras", "keras_hub", "keras_cv", "keras_nlp", "tf_keras", "builtins"})
_MISSING = re.compile(
    r"(?:Could not (?:locate|deserialize) (?:class|function|object)|Unknown [a-z ]+:) '([^']+)'"
)
_UNSAFE = ("safe_mode", "arbitrary code")
PREPROCESSING_LAYERS = frozenset(
    {
        "Normalization",
        "Rescaling",
        "TextVectorization",
        "Discretization",
        "StringLookup",
        "IntegerLookup",
        "CategoryEncoding",
        "Hashing",
        "HashedCrossing",
        "Resizing",
        "CenterCrop",
        "MelSpectrogram",
        "STFTSpectrogram",
    }
)
_DROPOUT = frozenset(
    {
        "Dropout",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "SpatialDropout3D",
        "GaussianDropout",
        "GaussianNoise",
        "AlphaDropout",
    }
)
_NORMALIZATION = frozenset({"BatchNormalization", "SyncBatchNormalization"})


def read_config(path: Path, fmt: str) -> dict[str, Any] | None:
    """The model's saved config, read without building anything."""
    try:
        if fmt == "keras-v3":
            with zipfile.ZipFile(path) as archive:
                loaded = json.loads(read_member(archive, "config.json"))
                return loaded if isinstance(loaded, dict) else None
        import h5py

        with h5py.File(path, "r") as handle:
            raw = handle.attrs.get("model_config")
            if raw is None:
                return None
            loaded = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
            return loaded if isinstance(loaded, dict) else None
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def _walk_config(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("class_name"), str):
            yield node
        for value in node.values():
            yield from _walk_config(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_config(value)


def custom_classes(config: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Objects in the config that Keras cannot find by itself: their module is not Keras's."""
    found: dict[str, dict[str, Any]] = {}
    for node in _walk_config(config):
        if "module" not in node:
            continue  # legacy HDF5 configs record no module; the load error names what is missing
        # Keras records no module for classes defined in the script that saved the model.
        module = node["module"] or "__main__"
        if not isinstance(module, str) or module.split(".")[0] in _KERAS_PACKAGES:
            continue
        found.setdefault(
            node["class_name"],
            {
                "class_name": node["class_name"],
                "module": module,
                "registered_name": node.get("registered_name"),
            },
        )
    return sorted(found.values(), key=lambda c: c["class_name"])


def lambda_layers(config: dict[str, Any] | None) -> list[str]:
    """Names of Lambda layers whose function is stored as Python bytecode."""
    names = []
    for node in _walk_config(config):
        inner = node.get("config")
        if node["class_name"] != "Lambda" or not isinstance(inner, dict):
            continue
        function = inner.get("function")
        if isinstance(function, dict) and function.get("class_name") == "__lambda__":
            names.append(str(inner.get("name", "lambda")))
    return names


def _loadable_path(path: Path, fmt: str, scratch: Path) -> Path:
    """Keras picks its loader by suffix; give a differently named artifact the one it needs."""
    suffix = ".keras" if fmt == "keras-v3" else ".h5"
    if path.suffix in ((".keras",) if fmt == "keras-v3" else (".h5", ".hdf5")):
        return path
    link = scratch / f"artifact{suffix}"
    link.symlink_to(path.resolve())
    return link


def _import_registering_modules(
    registrations: list[dict[str, Any]], search_paths: list[str]
) -> list[str]:
    """Import the project modules that register the missing classes (only with --trust-artifacts)."""
    sys.path[:0] = [p for p in search_paths if p not in sys.path]
    imported = []
    for registration in registrations:
        if registration["source"] and registration["module"] not in imported:
            importlib.import_module(registration["module"])
            imported.append(registration["module"])
    return imported


def _oversized_member(path: Path, fmt: str) -> str | None:
    """A .keras member that decompresses past the worker's memory limit, which Keras would read."""
    limit = _errors.memory_limit_mb
    if fmt != "keras-v3" or not limit:
        return None
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.file_size > limit << 20:
                return (
                    f"archive member {info.filename} too large: {info.file_size} bytes "
                    f"(limit {limit} MiB)"
                )
    return None


def load(path: Path, fmt: str, request: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """Load with compile=False, no custom objects, and safe_mode unless the user trusts artifacts."""
    trust = bool(request.get("trust"))
    config = read_config(path, fmt)
    classes = custom_classes(config)
    facts: dict[str, Any] = {
        "safe_mode": not trust,
        "custom_classes": classes,
        "lambda_layers": lambda_layers(config),
        "registrations": [],
        "imported_modules": [],
        "missing": [],
        "unsafe_refused": False,
    }
    oversized = _oversized_member(path, fmt)
    if oversized:
        facts.update(ok=False, error=f"inconclusive: {oversized}")
        return facts, None
    import keras

    with tempfile.TemporaryDirectory() as scratch:
        target = _loadable_path(path, fmt, Path(scratch))
        try:
            model = keras.saving.load_model(target, compile=False, safe_mode=not trust)
            facts.update(ok=True, error=None)
            return facts, model
        except Exception as exc:  # any failure to load is the probe's evidence
            if is_resource_error(exc):
                raise  # the worker reports the limit it hit
            message = str(exc)
            facts.update(
                ok=False, error=short_error(exc), missing=sorted(set(_MISSING.findall(message)))
            )
            facts["unsafe_refused"] = all(marker in message for marker in _UNSAFE)
        known = {c["class_name"] for c in classes}
        classes.extend(
            {"class_name": name, "module": None, "registered_name": None}
            for name in facts["missing"]
            if name not in known
        )
        registrations = [
            find_registration(
                c["class_name"], c["module"] or "", request.get("search_paths", [])
            ).to_json()
            for c in classes
            if not facts["missing"] or c["class_name"] in facts["missing"]
        ]
        facts["registrations"] = registrations
        if request.get("import_project") and facts["missing"]:
            return _load_with_project_objects(keras, target, classes, facts, request)
        if not (trust and facts["missing"] and any(r["registered_as"] for r in registrations)):
            if facts["missing"] and not trust:
                facts["needs_import_project"] = True
            return facts, None
        try:
            facts["imported_modules"] = _import_registering_modules(
                registrations, request.get("search_paths", [])
            )
            model = keras.saving.load_model(target, compile=False, safe_mode=False)
            facts["loaded_after_import"] = True
            return facts, model
        except Exception as exc:
            facts["retry_error"] = short_error(exc)
            return facts, None


def _load_with_project_objects(
    keras: Any,
    target: Path,
    classes: list[dict[str, Any]],
    facts: dict[str, Any],
    request: dict[str, Any],
) -> tuple[dict[str, Any], Any]:
    """Import the project's modules that define the missing classes; load with custom_objects."""
    search_paths = [p for p in request.get("search_paths", []) if p]
    sys.path[:0] = [p for p in search_paths if p not in sys.path]
    modules = {c["class_name"]: c.get("module") for c in classes}
    objects: dict[str, Any] = {}
    fix: dict[str, str] = {}
    unfound: list[str] = []
    for name in facts["missing"]:
        # A registered name "package>Class" is looked up under its class name.
        short = name.split(">")[-1]
        module = find_class_module(short, modules.get(name) or modules.get(short), search_paths)
        if module is None:
            unfound.append(short)
            continue
        try:
            objects[short] = getattr(importlib.import_module(module), short)
        except Exception as exc:
            if is_resource_error(exc):
                raise
            facts["import_error"] = f"import {module}: {short_error(exc)}"
            unfound.append(short)
            continue
        fix[short] = f"{module}.{short}"
    facts["custom_objects_fix"] = fix
    facts["imported_modules"] = sorted({v.rsplit(".", 1)[0] for v in fix.values()})
    if unfound:
        facts["retry_error"] = f"no project module defines {', '.join(unfound)}"
        return facts, None
    try:
        model = keras.saving.load_model(
            target, compile=False, safe_mode=not request.get("trust"), custom_objects=objects
        )
    except Exception as exc:
        if is_resource_error(exc):
            raise
        facts["retry_error"] = short_error(exc)
        return facts, None
    facts["loaded_with_custom_objects"] = True
    return facts, model


def iter_layers(model: Any) -> list[Any]:
    """Every layer inside the model, nested ones included."""
    flatten = getattr(model, "_flatten_layers", None)
    if callable(flatten):
        return list(flatten(include_self=False, recursive=True))
    found: list[Any] = []
    stack = list(getattr(model, "layers", []))
    while stack:
        layer = stack.pop(0)
        found.append(layer)
        stack.extend(getattr(layer, "layers", []))
    return found


def _layer_kinds(layers: list[Any]) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {
        "dropout": [],
        "batchnorm": [],
        "augmentation": [],
        "preprocessing": [],
    }
    for layer in layers:
        cls = type(layer).__name__
        label = f"{cls} '{layer.name}'"
        if cls in _DROPOUT:
            kinds["dropout"].append(label)
        elif cls in _NORMALIZATION:
            kinds["batchnorm"].append(label)
        elif cls.startswith("Random"):
            kinds["augmentation"].append(label)
        elif cls in PREPROCESSING_LAYERS:
            kinds["preprocessing"].append(label)
    return kinds


def input_signature(model: Any) -> list[dict[str, Any]]:
    """Name, shape and dtype of each model input, from the saved graph."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    return [
        {
            "name": getattr(t, "name", f"input_{i}"),
            "shape": [d if d is None else int(d) for d in t.shape],
            "dtype": str(t.dtype),
        }
        for i, t in enumerate(inputs or [])
    ]


def _batch(signature: list[dict[str, Any]], user_input: Any) -> Any:
    if user_input is not None:
        return user_input
    if not signature:
        raise ValueError(
            "the model declares no input shape (a subclassed model?): give it a sample batch with "
            "`preplint confirm ARTIFACT --input sample.npy`"
        )
    batches = [
        _arrays.synthetic_batch(tuple(s["shape"]), s["dtype"], seed=i)
        for i, s in enumerate(signature)
    ]
    return batches[0] if len(batches) == 1 else batches


def _run(model: Any, batch: Any, training: bool) -> Any:
    return _arrays.as_numpy(model(batch, training=training))


def mode_facts(model: Any, batch: Any, kinds: dict[str, list[str]]) -> dict[str, Any]:
    """Same batch, training then inference mode, twice each."""
    inference = [_run(model, batch, False) for _ in range(2)]
    training = [_run(model, batch, True) for _ in range(2)]
    return {
        "samples": int(inference[0].shape[0]),
        "train_vs_infer": _arrays.max_abs_diff(training[0], inference[0]),
        "argmax_changed": _arrays.argmax_changed(training[0], inference[0]),
        "infer_repeat": _arrays.max_abs_diff(inference[0], inference[1]),
        "train_repeat": _arrays.max_abs_diff(training[0], training[1]),
        "dropout": kinds["dropout"],
        "batchnorm": kinds["batchnorm"],
        "augmentation": kinds["augmentation"],
    }


def dtype_facts(model: Any, batch: Any, signature: list[dict[str, Any]]) -> dict[str, Any]:
    """The same batch as float32 and as float64: what the model does with each."""
    import numpy as np

    facts: dict[str, Any] = {"inputs": signature}
    if isinstance(batch, list) or not np.issubdtype(batch.dtype, np.number):
        facts["error"] = "dtype probe needs one numeric input"
        return facts
    outputs = {}
    for name in ("float32", "float64"):
        try:
            outputs[name] = _run(model, batch.astype(name), False)
        except Exception as exc:
            if is_resource_error(exc):
                raise  # guarded() reports it as the limit it is, not as dtype evidence
            facts[f"{name}_error"] = short_error(exc)
    if len(outputs) == 2:
        facts["max_abs_diff"] = _arrays.max_abs_diff(outputs["float32"], outputs["float64"])
        raw = model(batch.astype("float64"), training=False)
        facts["float64_output_dtype"] = str(getattr(raw.dtype, "name", raw.dtype))
    return facts


def preprocessing_facts(
    model: Any, layers: list[Any], kinds: dict[str, list[str]]
) -> dict[str, Any]:
    details = []
    for layer in layers:
        if type(layer).__name__ in PREPROCESSING_LAYERS:
            details.append(_describe_preprocessing(layer))
    return {"layers": details, "layer_count": len(layers), "augmentation": kinds["augmentation"]}


def _describe_preprocessing(layer: Any) -> str:
    cls = type(layer).__name__
    if cls == "Normalization":
        mean = getattr(layer, "mean", None)
        size = int(getattr(mean, "shape", [0])[-1]) if mean is not None and len(mean.shape) else 0
        state = f"adapted, {size} features" if mean is not None else "not adapted"
        return f"Normalization '{layer.name}' ({state})"
    if cls == "Rescaling":
        return f"Rescaling '{layer.name}' (scale={layer.scale}, offset={layer.offset})"
    if cls in ("TextVectorization", "StringLookup", "IntegerLookup"):
        try:
            return f"{cls} '{layer.name}' (vocabulary of {len(layer.get_vocabulary())})"
        except Exception:  # an unadapted lookup has no vocabulary yet
            return f"{cls} '{layer.name}' (no vocabulary)"
    return f"{cls} '{layer.name}'"


def summary_facts(model: Any, layers: list[Any], kinds: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "class": type(model).__name__,
        "layers": len(layers),
        "parameters": int(model.count_params()) if getattr(model, "built", True) else None,
        "dropout": kinds["dropout"],
        "batchnorm": kinds["batchnorm"],
        "augmentation": kinds["augmentation"],
        "preprocessing": [
            _describe_preprocessing(layer)
            for layer in layers
            if type(layer).__name__ in PREPROCESSING_LAYERS
        ],
    }


def run(path: Path, fmt: str, request: dict[str, Any]) -> dict[str, Any]:
    """Every requested Keras probe, from one load of the model."""
    probes = set(request["probes"])
    facts, model = load(path, fmt, request)
    results: dict[str, Any] = {}
    for name in (LOAD, SAFE_MODE):
        if name in probes:
            results[name] = facts
    out: dict[str, Any] = {"probes": results, "load": facts}
    pending = probes & {MODE, DTYPE, PREPROCESSING}
    if model is None:
        for name in pending:
            hint = (
                "; pass --import-project to load it with the project's classes"
                if facts.get("needs_import_project")
                else ""
            )
            results[name] = {
                "error": "the model did not load: "
                f"{facts.get('retry_error') or facts['error']}{hint}"
            }
        return out
    layers = iter_layers(model)
    kinds = _layer_kinds(layers)
    signature = input_signature(model)
    out["input_signature"] = signature
    if request.get("audit"):
        out["summary"] = summary_facts(model, layers, kinds)
    if PREPROCESSING in pending:
        results[PREPROCESSING] = preprocessing_facts(model, layers, kinds)
    user_input = _arrays.load_input(Path(request["input"])) if request.get("input") else None
    if MODE in pending:
        results[MODE] = guarded(lambda: mode_facts(model, _batch(signature, user_input), kinds))
    if DTYPE in pending:
        results[DTYPE] = guarded(
            lambda: dtype_facts(model, _batch(signature, user_input), signature)
        )
    return out
