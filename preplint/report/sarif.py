"""`--format sarif`: a SARIF 2.1.0 log with one run, for code-scanning services and editors."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from preplint import __version__
from preplint.diagnostics import Diagnostic, Edit, Related, Report, Severity
from preplint.report import NotebookLines, file_line

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/preplint/preplint"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "preplint/v1"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

# Codes the engine reports that are not rules: a file that cannot be read is a finding;
# an internal error is the tool's failure, reported as a notification instead.
SYNTHETIC = {
    "SYNTAX": ("syntax-error", "The file could not be read or parsed, so no rule could check it."),
}
NOTIFICATION_CODES = frozenset({"INTERNAL"})


def render_sarif(
    report: Report,
    rules: Sequence[Mapping[str, Any]],
    notebook_lines: NotebookLines | None = None,
) -> str:
    """The whole log as JSON text, byte-identical for the same input.

    `rules` are the rules' reportingDescriptors; `notebook_lines` place notebook findings
    on the lines of the `.ipynb` file (without it they fall on the file's first line).
    """
    lines = notebook_lines or {}
    findings = [d for d in report.diagnostics if d.code not in NOTIFICATION_CODES]
    failures = [d for d in report.diagnostics if d.code in NOTIFICATION_CODES]
    descriptors = [dict(rule) for rule in rules]
    known = {descriptor["id"] for descriptor in descriptors}
    for code in sorted({d.code for d in findings} - known):
        descriptors.append(synthetic_descriptor(code, findings))
    index = {descriptor["id"]: position for position, descriptor in enumerate(descriptors)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "preplint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
        "invocations": [invocation(failures, lines)],
        # Columns count characters (code points), as libcst does, not UTF-16 units.
        "columnKind": "unicodeCodePoints",
        "results": [
            result(d, index[d.code], fingerprint, lines)
            for d, fingerprint in fingerprints(findings)
        ],
    }
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def synthetic_descriptor(code: str, findings: Sequence[Diagnostic]) -> dict[str, Any]:
    """An entry for a code with no registered rule, so every result has a valid ruleIndex."""
    example = next(d for d in findings if d.code == code)
    name, summary = SYNTHETIC.get(code, (example.name, f"Findings reported as {code}."))
    return {
        "id": code,
        "name": name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": summary},
        "defaultConfiguration": {"level": LEVELS[example.severity]},
    }


def invocation(failures: Sequence[Diagnostic], lines: NotebookLines) -> dict[str, Any]:
    out: dict[str, Any] = {"executionSuccessful": not failures}
    if failures:
        out["toolExecutionNotifications"] = [
            {
                "descriptor": {"id": d.code},
                "level": "error",
                "message": {"text": d.message},
                "locations": [location(d, lines)],
            }
            for d in failures
        ]
    return out


def fingerprints(findings: Sequence[Diagnostic]) -> list[tuple[Diagnostic, str]]:
    """A hash of code, path, cell and message: it survives lines moving above the finding.

    Identical findings in one file are told apart by their order, which is also stable.
    """
    seen: dict[str, int] = {}
    out: list[tuple[Diagnostic, str]] = []
    for d in findings:
        text = "\0".join((d.code, d.path, str(d.cell or ""), d.message))
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        seen[digest] = seen.get(digest, 0) + 1
        out.append((d, f"{digest}:{seen[digest]}"))
    return out


def result(
    d: Diagnostic, rule_index: int, fingerprint: str, lines: NotebookLines
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": LEVELS[d.severity],
        "message": {"text": d.message},
        "locations": [location(d, lines)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if d.related:
        out["relatedLocations"] = [
            related_location(r, number, lines) for number, r in enumerate(d.related, start=1)
        ]
    # A notebook's fix edits a cell's text, which no region of the JSON file expresses.
    if d.fix is not None and d.fix.edits and d.cell is None:
        out["fixes"] = [
            {
                "description": {"text": d.fix.description},
                "properties": {"applicability": d.fix.applicability},
                "artifactChanges": [
                    {
                        "artifactLocation": artifact_location(d.path),
                        "replacements": [replacement(edit) for edit in d.fix.edits],
                    }
                ],
            }
        ]
    if d.confirmation is not None:
        out["properties"] = {"confirmation": d.confirmation.to_json()}
    return out


def location(d: Diagnostic, lines: NotebookLines) -> dict[str, Any]:
    start_line, start_column = max(1, d.line), max(1, d.column)
    end_line = max(start_line, d.end_line)
    end_column = max(1, d.end_column)
    if end_line == start_line:
        end_column = max(start_column, end_column)
    if d.cell is None:
        region: dict[str, Any] = {
            "startLine": start_line,
            "startColumn": start_column,
            "endLine": end_line,
            "endColumn": end_column,
        }
    else:
        region = notebook_region(lines.get(d.path, {}), d.cell, start_line, end_line)
        region["properties"]["column"] = start_column
        region["properties"]["endColumn"] = end_column
    out: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": artifact_location(d.path), "region": region}
    }
    if d.cell is not None:
        out["message"] = {"text": f"cell {d.cell}"}
    return out


def related_location(r: Related, number: int, lines: NotebookLines) -> dict[str, Any]:
    if r.cell is None:
        region: dict[str, Any] = {"startLine": max(1, r.line), "startColumn": max(1, r.column)}
    else:
        region = notebook_region(lines.get(r.path, {}), r.cell, max(1, r.line), max(1, r.line))
        region["properties"]["column"] = max(1, r.column)
    return {
        "id": number,
        "physicalLocation": {"artifactLocation": artifact_location(r.path), "region": region},
        "message": {"text": r.message if r.cell is None else f"{r.message} (cell {r.cell})"},
    }


def notebook_region(
    lines: Mapping[tuple[int, int], int], cell: int, line: int, end_line: int
) -> dict[str, Any]:
    """Lines of the `.ipynb` file; the cell and the line within it go in the properties.

    Columns are left out: a line of the JSON file holds the source line quoted and escaped.
    """
    start = file_line(lines, cell, line)
    return {
        "startLine": start,
        "endLine": max(start, file_line(lines, cell, end_line)),
        "properties": {"cell": cell, "line": line, "endLine": end_line},
    }


def replacement(edit: Edit) -> dict[str, Any]:
    region = {
        "startLine": max(1, edit.line),
        "startColumn": max(1, edit.column),
        "endLine": max(1, edit.end_line),
        "endColumn": max(1, edit.end_column),
    }
    return {"deletedRegion": region, "insertedContent": {"text": edit.replacement}}


def artifact_location(path: str) -> dict[str, Any]:
    """Relative paths resolve against %SRCROOT%; absolute ones become file: URIs."""
    if PurePosixPath(path).is_absolute():
        return {"uri": "file://" + quote(path, safe="/")}
    if PureWindowsPath(path).is_absolute() or re.match(r"[A-Za-z]:", path):
        return {"uri": "file:///" + quote(path.replace("\\", "/"), safe="/:")}
    return {"uri": quote(path.replace("\\", "/"), safe="/"), "uriBaseId": SRCROOT}
