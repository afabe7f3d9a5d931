"""`preplint confirm ARTIFACT`: one saved model's report, built from the same probes as --confirm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from preplint.confirm import verdicts
from preplint.confirm.planner import ConfirmOptions, probe_artifact
from preplint.confirm.probes import (
    DTYPE,
    LOAD,
    MODE,
    PREPROCESSING,
    VERSION,
    not_an_artifact,
    supports,
)
from preplint.errors import UsageError

_AUDIT_PROBES = {LOAD, MODE, DTYPE, PREPROCESSING, VERSION}


def _probe_section(facts: dict[str, Any] | None, evidence: Any, flag: Any) -> dict[str, Any] | None:
    """A probe's outcome for the report: evidence text, a yes/no answer when there is one, raw facts."""
    if facts is None:
        return None
    if "error" in facts:
        return {"answer": None, "evidence": str(facts["error"]), "facts": facts}
    return {"answer": flag(facts), "evidence": evidence(facts), "facts": facts}


def audit_artifact(
    path: Path, *, input_path: Path | None, options: ConfirmOptions
) -> dict[str, Any]:
    """A JSON-able report on one artifact; nothing stored in it runs without --trust-artifacts."""
    if not path.exists():
        raise UsageError(f"artifact not found: {path}")
    why = not_an_artifact(path)
    if why is not None:
        raise UsageError(f"{path}: {why}")
    if input_path is not None and not input_path.is_file():
        raise UsageError(f"input sample not found: {input_path}")
    folder = path.absolute().parent
    # Weights often sit in a folder of their own (artifacts/, checkpoints/) below the scripts.
    folders = dict.fromkeys([str(folder), str(folder.parent), str(Path.cwd())])
    result = probe_artifact(
        path.absolute(),
        _AUDIT_PROBES,
        options,
        search_paths=list(folders),
        input_path=input_path,
        audit=True,
    )
    response = result.facts.get("_response", {})
    load = response.get("load")
    version = result.facts.get(VERSION)
    return {
        "artifact": str(path),
        "framework": result.format.framework,
        "format": result.format.format,
        "saved_version": version,
        "version_drift": None
        if not version or not version.get("saved") or not version.get("installed")
        else version["saved"] != version["installed"],
        "input_signature": response.get("input_signature"),
        "load": load,
        "rebuild": response.get("rebuild"),
        "custom_objects_needed": [c["class_name"] for c in (load or {}).get("custom_classes", [])],
        "model": response.get("summary"),
        "mode_sensitivity": _probe_section(
            result.facts.get(MODE),
            verdicts.mode_evidence,
            lambda f: f["train_vs_infer"] > verdicts.MODE_TOLERANCE,
        ),
        "dtype_sensitivity": _probe_section(
            result.facts.get(DTYPE),
            verdicts.dtype_evidence,
            lambda f: "float64_error" in f or f.get("max_abs_diff", 0.0) > verdicts.DTYPE_TOLERANCE,
        ),
        "embedded_preprocessing": _probe_section(
            result.facts.get(PREPROCESSING),
            verdicts.preprocessing_evidence,
            lambda f: bool(f.get("layers")),
        ),
        "pickle": result.scan.to_json() if result.scan else None,
        "not_probed": {
            p: why for p in sorted(_AUDIT_PROBES) if (why := supports(p, result.format))
        },
        "trust_artifacts": options.trust_artifacts,
        "failure": result.failure,
        "worker_seconds": round(result.seconds, 2),
    }


def _load_line(load: dict[str, Any]) -> str:
    if "safe_mode" in load:
        how = f"keras load_model(compile=False, safe_mode={load['safe_mode']}), no custom objects"
    else:
        how = str(load.get("loader", "not loaded"))
    if load.get("ok"):
        what = f": {load['object']}" if load.get("object") else ""
        return f"load ({how}): ok{what}"
    return f"load ({how}): failed: {load.get('error')}"


def _answer(section: dict[str, Any] | None, yes: str, no: str) -> str:
    if section is None:
        return "not probed"
    label = {True: yes, False: no, None: "unknown"}[section["answer"]]
    return f"{label}: {section['evidence']}"


def render_audit_text(audit: dict[str, Any]) -> str:
    """The audit as plain text, one fact per line."""
    lines = [f"artifact: {audit['artifact']}", f"format: {audit['format']} ({audit['framework']})"]
    version = audit.get("saved_version")
    if version:
        lines.append(f"version: {verdicts.version_evidence(version)}")
    for item in audit.get("input_signature") or []:
        lines.append(f"input: {item['name']} {item['dtype']} {tuple(item['shape'])}")
    if audit.get("load"):
        lines.append(_load_line(audit["load"]))
    rebuild = audit.get("rebuild") or {}
    if rebuild.get("rebuilt") or rebuild.get("error"):
        lines.append(f"rebuild: {rebuild.get('rebuilt') or rebuild.get('error')}")
    if (audit.get("load") or {}).get("custom_objects_fix"):
        lines.append(f"custom objects fix: {verdicts.custom_objects_fix(audit['load'])}")
    if audit.get("custom_objects_needed"):
        lines.append(f"custom objects needed: {', '.join(audit['custom_objects_needed'])}")
    model = audit.get("model") or {}
    if model and "error" not in model:
        params = model.get("parameters")
        lines.append(
            f"model: {model.get('class')}"
            + (f", {params} parameters" if params is not None else "")
        )
        for kind in ("dropout", "batchnorm", "augmentation", "preprocessing"):
            if kind in model:
                lines.append(f"{kind} layers: {', '.join(model[kind]) or 'none'}")
    lines.append(
        f"mode sensitivity: {_answer(audit.get('mode_sensitivity'), 'sensitive', 'not sensitive')}"
    )
    lines.append(
        f"dtype sensitivity: {_answer(audit.get('dtype_sensitivity'), 'sensitive', 'not sensitive')}"
    )
    if audit.get("embedded_preprocessing") is not None:
        lines.append(f"embedded preprocessing: {audit['embedded_preprocessing']['evidence']}")
    scan = audit.get("pickle")
    if scan:
        lines.append(
            f"pickle globals ({len(scan['imports'])}): {', '.join(scan['imports']) or 'none'}"
        )
        if scan["disallowed"]:
            lines.append(f"pickle globals outside the allow-list: {', '.join(scan['disallowed'])}")
        if scan["error"]:
            lines.append(f"pickle scan stopped: {scan['error']}")
    if audit.get("failure"):
        lines.append(f"inconclusive: {audit['failure']}")
    return "\n".join(lines) + "\n"
