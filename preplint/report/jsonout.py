"""`--format json`: one document on stdout, byte-identical for the same input."""

from __future__ import annotations

import json

from preplint import __version__
from preplint.diagnostics import Report


def render_json(report: Report) -> str:
    document = {
        "tool": "preplint",
        "version": __version__,
        "diagnostics": [d.to_json() for d in report.diagnostics],
        "summary": {
            "files": report.files,
            "diagnostics": len(report.diagnostics),
            "by_severity": report.by_severity(),
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
