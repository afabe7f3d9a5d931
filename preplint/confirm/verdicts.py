"""Turns the worker's raw probe facts into confirmed / refuted / inconclusive, with evidence in numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from preplint.confirm.pickle_scan import PickleScan
from preplint.confirm.probes import DTYPE, LOAD, MODE, PREPROCESSING, SAFE_MODE, VERSION

CONFIRMED = "confirmed"
REFUTED = "refuted"
INCONCLUSIVE = "inconclusive"

# Below this, training and inference outputs count as the same (float32 round-off).
MODE_TOLERANCE = 1e-5
# float64 and float32 runs of one batch differ by round-off only, up to this.
DTYPE_TOLERANCE = 1e-3

Verdict = tuple[str, str]


def _num(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value == 0:
        return "0"
    return f"{value:.4f}" if abs(value) >= 1e-4 else f"{value:.2e}"


def _listing(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def mode_evidence(facts: dict[str, Any]) -> str:
    """`training vs inference mode: max |Δ| = ..., argmax changed for ...; inference mode ...`."""
    parts = [f"training vs inference mode: max |Δ| = {_num(facts['train_vs_infer'])}"]
    changed = facts.get("argmax_changed")
    if changed is not None:
        parts[0] += f", argmax changed for {changed * 100:.1f}% of {facts['samples']} samples"
    else:
        parts[0] += f" over {facts['samples']} samples (single output)"
    repeat = facts["infer_repeat"]
    deterministic = "deterministic" if repeat <= MODE_TOLERANCE else "NOT deterministic"
    parts.append(f"inference mode {deterministic} (max |Δ| {_num(repeat)} over 2 runs)")
    layers = facts.get("dropout", []) + facts.get("batchnorm", []) + facts.get("augmentation", [])
    parts.append(
        f"mode-dependent layers: {_listing(layers)}" if layers else "no Dropout/BatchNorm layers"
    )
    if facts.get("saved_mode") == "training":
        ops = facts.get("exported_training_ops")
        parts.append(f"saved in training mode{f' ({_listing(ops)})' if ops else ''}")
    if facts.get("rebuilt"):
        parts.insert(0, str(facts["rebuilt"]))
    return "; ".join(parts)


def mode_verdict(code: str, facts: dict[str, Any]) -> Verdict:
    if "error" in facts:
        return INCONCLUSIVE, _error_evidence(facts)
    evidence = mode_evidence(facts)
    if code == "MODE004" and not facts.get("batchnorm"):
        return REFUTED, f"no BatchNorm layer in the model; {evidence}"
    if facts["train_vs_infer"] > MODE_TOLERANCE:
        return CONFIRMED, evidence
    return REFUTED, evidence


def dtype_evidence(facts: dict[str, Any]) -> str:
    inputs = facts.get("inputs") or []
    head = ", ".join(f"{i['dtype']} {tuple(i['shape'])}" for i in inputs)
    parts = [f"model input {head}" if head else f"model weights {facts.get('model_dtype') or '?'}"]
    if "float64_error" in facts:
        parts.append(f"float64 batch raised {facts['float64_error']}")
    if "float32_error" in facts:
        parts.append(f"float32 batch raised {facts['float32_error']}")
    if "max_abs_diff" in facts:
        parts.append(
            f"float64 vs float32 of the same batch: max |Δ| = {_num(facts['max_abs_diff'])}"
        )
        if facts.get("float64_output_dtype"):
            parts.append(f"float64 input gives {facts['float64_output_dtype']} output")
    if facts.get("rebuilt"):
        parts.insert(0, str(facts["rebuilt"]))
    return "; ".join(parts)


def dtype_verdict(code: str, facts: dict[str, Any]) -> Verdict:
    if "error" in facts:
        return INCONCLUSIVE, _error_evidence(facts)
    evidence = dtype_evidence(facts)
    if "float32_error" in facts:
        return INCONCLUSIVE, evidence
    if "float64_error" in facts or facts.get("max_abs_diff", 0.0) > DTYPE_TOLERANCE:
        return CONFIRMED, evidence
    return REFUTED, evidence


def load_evidence(facts: dict[str, Any]) -> str:
    if facts.get("ok"):
        classes = facts.get("custom_classes", [])
        if classes:
            return (
                f"loads without custom objects (safe_mode={facts.get('safe_mode')}), "
                f"although its config names {_listing([c['class_name'] for c in classes])}"
            )
        return (
            f"loads without custom objects (compile=False, safe_mode={facts.get('safe_mode')}): "
            "every class in its config is built into Keras"
        )
    return f"load failed without custom objects: {facts.get('error')}"


def _registered_everywhere(facts: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The registrations, when every missing class is registered under the name its config asks for."""
    registrations = facts.get("registrations") or []
    by_class = {c["class_name"]: c for c in facts.get("custom_classes", [])}
    missing = facts.get("missing") or list(by_class)
    if not missing or len(registrations) < len(missing):
        return None
    for registration in registrations:
        wanted = by_class.get(registration["class_name"], {}).get("registered_name")
        if not registration["registered_as"] or (
            wanted and wanted != registration["registered_as"]
        ):
            return None
    return registrations


def custom_objects_fix(facts: dict[str, Any]) -> str:
    """`custom_objects={"Name": module.Name, ...}`, as a loader would pass it."""
    pairs = ", ".join(f'"{name}": {where}' for name, where in facts["custom_objects_fix"].items())
    return "custom_objects={" + pairs + "}"


def load_verdict(code: str, facts: dict[str, Any]) -> Verdict:
    if facts.get("ok"):
        return REFUTED, load_evidence(facts)
    if facts.get("loaded_with_custom_objects"):
        fix = (
            f"loads with {custom_objects_fix(facts)} "
            f"(compile=False, safe_mode={facts.get('safe_mode')})"
        )
        if code == "LOAD002":
            return REFUTED, f"{load_evidence(facts)}; {fix}: its config rebuilds the class"
        return CONFIRMED, f"{load_evidence(facts)}; confirmed fix: {fix}"
    if facts.get("loaded_after_import"):
        modules = ", ".join(f"`{m}`" for m in facts["imported_modules"])
        return REFUTED, (
            f"{load_evidence(facts)}; loads once {modules} is imported: it registers "
            f"{_listing([r['registered_as'] for r in facts['registrations']])}"
        )
    if facts.get("unsafe_refused") and not facts.get("missing"):
        lambdas = facts.get("lambda_layers") or []
        return INCONCLUSIVE, (
            f"safe_mode=True refused the artifact (Lambda {_listing(lambdas)}); "
            "pass --trust-artifacts to load it"
        )
    if not facts.get("missing"):
        return INCONCLUSIVE, load_evidence(facts)
    if facts.get("retry_error"):
        modules = ", ".join(f"`{m}`" for m in facts.get("imported_modules", []))
        return CONFIRMED, (
            f"{load_evidence(facts)}; after importing {modules or 'the registering modules'} "
            f"it still fails: {facts['retry_error']}"
        )
    registered = _registered_everywhere(facts)
    if registered:
        where = _listing(
            [f"{r['registered_as']} in {r['module']} ({r['source']})" for r in registered]
        )
        evidence = (
            f"{load_evidence(facts)}; but every missing class is registered in an "
            f"importable module: {where}"
        )
        if code == "LOAD002":
            # Registration finds the class; only a real load shows whether its config rebuilds it.
            return INCONCLUSIVE, f"{evidence}; pass --trust-artifacts to import it and load"
        return REFUTED, (
            f"{evidence}: a loader that imports it needs no custom_objects "
            "(checked in source; pass --trust-artifacts to import and load it)"
        )
    origins = [
        f"{c['class_name']} from {c['module'] or 'an unrecorded module'}"
        for c in facts.get("custom_classes", [])
        if c["class_name"] in facts["missing"]
    ]
    tail = f" ({_listing(origins)}; no importable module registers it)" if origins else ""
    if facts.get("needs_import_project"):
        tail += "; pass --import-project to load it with the project's classes as custom_objects"
    return CONFIRMED, load_evidence(facts) + tail


def safe_mode_verdict(code: str, facts: dict[str, Any]) -> Verdict:
    lambdas = facts.get("lambda_layers") or []
    if facts.get("unsafe_refused") or (lambdas and not facts.get("ok") and facts.get("safe_mode")):
        return CONFIRMED, (
            f"safe_mode=True refuses it: Lambda layer {_listing(lambdas)} stores Python "
            f"bytecode that runs at load ({facts.get('error')})"
        )
    if facts.get("ok") and facts.get("safe_mode"):
        return (
            REFUTED,
            "loads with safe_mode=True: no Lambda bytecode, safe_mode=False is not needed",
        )
    if lambdas:
        return (
            CONFIRMED,
            f"Lambda layer {_listing(lambdas)} stores Python bytecode that runs at load",
        )
    return INCONCLUSIVE, load_evidence(facts)


def preprocessing_evidence(facts: dict[str, Any]) -> str:
    layers = facts.get("layers") or []
    if layers:
        return f"preprocessing inside the model: {_listing(layers)}"
    return (
        f"no preprocessing layer among the model's {facts.get('layer_count', 0)} layers: "
        "its inputs must be transformed before they reach it"
    )


def preprocessing_verdict(code: str, facts: dict[str, Any]) -> Verdict:
    if "error" in facts:
        return INCONCLUSIVE, _error_evidence(facts)
    return (REFUTED if facts.get("layers") else CONFIRMED), preprocessing_evidence(facts)


def version_evidence(facts: dict[str, Any]) -> str:
    framework = facts.get("framework", "framework")
    installed = (
        f"installed {framework} {facts['installed']}"
        if facts.get("installed")
        else f"{framework} is not installed here"
    )
    if facts.get("saved"):
        return f"saved with {framework} {facts['saved']} ({facts.get('source')}), {installed}"
    records = facts.get("records") or {}
    shown = ", ".join(f"{k} {v}" for k, v in sorted(records.items()))
    reason = facts.get("error") or f"the archive records no {framework} version"
    return f"{reason}{f' ({shown})' if shown else ''}; {installed}"


def version_verdict(code: str, facts: dict[str, Any]) -> Verdict:
    evidence = version_evidence(facts)
    saved, installed = facts.get("saved"), facts.get("installed")
    if not saved or not installed:
        return INCONCLUSIVE, evidence
    return (REFUTED if saved == installed else CONFIRMED), evidence


def pickle_evidence(scan: PickleScan) -> str:
    where = f" in {len(scan.members)} pickles" if len(scan.members) > 1 else ""
    if scan.error:
        return f"pickle scan stopped{where}: {scan.error}; imports seen: {_listing(list(scan.imports))}"
    if scan.disallowed:
        return (
            f"the pickle{where} imports {len(scan.disallowed)} globals outside the allow-list: "
            f"{_listing(list(scan.disallowed), 6)}; not loaded (pass --trust-artifacts to load it)"
        )
    return (
        f"the pickle{where} imports only allow-listed globals "
        f"({len(scan.imports)}: {_listing(list(scan.imports))}): a weights-only load accepts it"
    )


def pickle_verdict(code: str, scan: PickleScan) -> Verdict:
    if scan.error:
        return INCONCLUSIVE, pickle_evidence(scan)
    return (CONFIRMED if scan.disallowed else REFUTED), pickle_evidence(scan)


def _error_evidence(facts: dict[str, Any]) -> str:
    return str(facts["error"])


FACT_VERDICTS: dict[str, Callable[[str, dict[str, Any]], Verdict]] = {
    LOAD: load_verdict,
    SAFE_MODE: safe_mode_verdict,
    MODE: mode_verdict,
    DTYPE: dtype_verdict,
    PREPROCESSING: preprocessing_verdict,
    VERSION: version_verdict,
}
