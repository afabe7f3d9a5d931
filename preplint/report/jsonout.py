"""`--format json`: one document on stdout, byte-identical for the same input."""

from __future__ import annotations

import json
from typing import Any

from preplint import __version__
from preplint.diagnostics import DOCS_URL, Diagnostic, Report


def _with_url(d: Diagnostic) -> dict[str, Any]:
    """The diagnostic, and the docs page of its rule (SYNTAX and the like have none)."""
    out = d.to_json()
    if d.code[-1:].isdigit():
        out["url"] = DOCS_URL.format(code=d.code)
    return out


def render_json(report: Report) -> str:
    document = {
        "tool": "preplint",
        "version": __version__,
        "diagnostics": [_with_url(d) for d in report.diagnostics],
        "summary": {
            "files": report.files,
            "diagnostics": len(report.diagnostics),
            "by_severity": report.by_severity(),
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
