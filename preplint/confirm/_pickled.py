"""Plain pickle and joblib artifacts, loaded only inside the worker process.

Without --trust-artifacts they go through the restricted unpickler and nothing else; pickle's
and joblib's own unpicklers run only when the user trusts the artifact.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from preplint.confirm import safe_pickle
from preplint.confirm._errors import is_resource_error, short_error


def _load(path: Path, fmt: str, trust: bool) -> Any:
    if not trust:
        return safe_pickle.load(path)[0]
    if fmt == "joblib":
        import joblib

        return joblib.load(path)
    with path.open("rb") as handle:
        return pickle.load(handle)


def loader(fmt: str, trust: bool) -> str:
    """How the artifact is loaded, for the report; "(trusted)" only when the user said so."""
    if not trust:
        return safe_pickle.LOADER
    return "joblib.load (trusted)" if fmt == "joblib" else "pickle.load (trusted)"


def load(path: Path, fmt: str, request: dict[str, Any]) -> dict[str, Any]:
    trust = bool(request.get("trust"))
    how = loader(fmt, trust)
    try:
        obj = _load(path, fmt, trust)
    except safe_pickle.RefusedGlobal as exc:
        return {
            "ok": False,
            "refused": True,
            "loader": how,
            "error": f"not loaded: the pickle imports {exc.qualified}, outside the allow-list "
            "(pass --trust-artifacts to load it)",
        }
    except Exception as exc:
        if is_resource_error(exc):
            raise  # the worker reports the limit it hit
        refused = isinstance(exc, pickle.UnpicklingError) and not trust
        return {"ok": False, "refused": refused, "loader": how, "error": short_error(exc)}
    kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
    return {"ok": True, "error": None, "loader": how, "object": kind}


def run(path: Path, fmt: str, request: dict[str, Any]) -> dict[str, Any]:
    """Load the artifact once; pickles hold no model the mode and dtype probes could run."""
    facts = load(path, fmt, request)
    out: dict[str, Any] = {"probes": {}, "load": facts}
    for name in request["probes"]:
        out["probes"][name] = {"error": facts["error"] or "a pickle holds no runnable model"}
    if request.get("audit"):
        kind = facts.get("object")
        out["summary"] = (
            {"class": kind, "error": f"the artifact holds a {kind}, not a runnable model"}
            if facts["ok"]
            else None
        )
    return out
