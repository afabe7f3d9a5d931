"""SARIF output: valid against the official SARIF 2.1.0 schema, with rules, locations and fixes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from preplint.diagnostics import Confirmation, Diagnostic, Edit, Fix, Related, Report, Severity
from preplint.engine import lint_sources
from preplint.report.sarif import DOCS_URL, render_sarif
from preplint.rules import all_rules
from tests.helpers import as_project

# The OASIS SARIF 2.1.0 (errata 01) schema; where it came from is in tests/data/README.md.
SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
)


def diagnostic(code: str = "SAFE001", **changes: Any) -> Diagnostic:
    values: dict[str, Any] = {
        "code": code,
        "name": "torch-load-unsafe",
        "severity": Severity.WARNING,
        "message": "`torch.load` without `weights_only=True` unpickles arbitrary code",
        "path": "src/train.py",
        "line": 3,
        "column": 9,
        "end_line": 3,
        "end_column": 31,
    }
    values.update(changes)
    return Diagnostic(**values)


def sample_report() -> Report:
    insertion = Edit(3, 30, 3, 30, ", weights_only=True")
    return Report(
        files=4,
        diagnostics=(
            diagnostic(
                fix=Fix("Pass `weights_only=True`", (insertion,)),
                related=(
                    Related("src/predict.py", 7, 1, "model loaded here"),
                    Related("notebooks/explore.ipynb", 2, 5, "also loaded here", cell=3),
                ),
                confirmation=Confirmation(
                    "confirmed", "torch-load", "pickle opcodes run code", "models/m.pt"
                ),
            ),
            diagnostic(path="notebooks/explore.ipynb", cell=2, line=4, end_line=4),
            diagnostic(
                "TEST001",
                name="an-info-finding",
                severity=Severity.INFO,
                message="a note, from a code with no registered rule",
                path="my scripts/100% done.py",
                line=1,
                column=1,
                end_line=2,
                end_column=1,
            ),
            diagnostic(
                "SYNTAX",
                name="syntax",
                severity=Severity.ERROR,
                message="cannot parse: bad input",
                path="bad.py",
            ),
            diagnostic(
                "INTERNAL",
                name="internal",
                severity=Severity.ERROR,
                message="internal error in rule X: boom",
                path="/abs/odd.py",
                line=1,
                column=1,
                end_line=1,
                end_column=1,
            ),
        ),
    )


@pytest.mark.parametrize(
    "validator",
    [jsonschema.Draft4Validator, jsonschema.Draft7Validator],
    ids=["draft-04", "draft-07"],
)
def test_log_is_valid_against_the_official_schema(validator: type[Any]) -> None:
    # draft-04 is what the schema declares; draft-07 is what the OASIS prose copy declares.
    log = json.loads(render_sarif(sample_report(), all_rules()))
    errors = sorted(
        validator(SCHEMA, format_checker=jsonschema.FormatChecker()).iter_errors(log), key=str
    )
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_a_real_lint_run_renders_valid_sarif() -> None:
    rules = all_rules()
    sources: dict[str, str] = {}
    for number, rule in enumerate(rules):
        for example in rule.positives:
            sources.update(
                {f"case{number}/{path}": text for path, text in as_project(example).items()}
            )
    sources["broken.py"] = "import torch\ndef (:\n"
    report = lint_sources(sources)
    assert any(d.code == "SYNTAX" for d in report.diagnostics)
    log = json.loads(render_sarif(report, rules))
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    findings = [d for d in report.diagnostics if d.code != "INTERNAL"]  # those are notifications
    assert len(log["runs"][0]["results"]) == len(findings)


def test_driver_lists_every_rule_with_docs_and_level() -> None:
    rules = all_rules()
    driver = json.loads(render_sarif(Report(0, ()), rules))["runs"][0]["tool"]["driver"]
    assert driver["name"] == "preplint"
    assert [r["id"] for r in driver["rules"]] == [rule.code for rule in rules]
    for rule, entry in zip(rules, driver["rules"], strict=True):
        assert entry["name"] == rule.name
        assert entry["shortDescription"]["text"] == rule.summary
        assert entry["helpUri"] == DOCS_URL.format(code=rule.code)
        assert entry["help"]["markdown"].startswith(f"# {rule.code}: {rule.name}")
        assert entry["defaultConfiguration"]["level"] in ("error", "warning", "note")


def test_results_carry_location_related_locations_and_fix() -> None:
    run = json.loads(render_sarif(sample_report(), all_rules()))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    first, in_notebook, info, syntax = run["results"]
    assert rules[first["ruleIndex"]]["id"] == first["ruleId"] == "SAFE001"
    assert first["level"] == "warning"
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "src/train.py", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 3, "startColumn": 9, "endLine": 3, "endColumn": 31}
    assert [r["id"] for r in first["relatedLocations"]] == [1, 2]
    assert first["relatedLocations"][0]["message"]["text"] == "model loaded here"
    [replacement] = first["fixes"][0]["artifactChanges"][0]["replacements"]
    assert replacement == {
        "deletedRegion": {"startLine": 3, "startColumn": 30, "endLine": 3, "endColumn": 30},
        "insertedContent": {"text": ", weights_only=True"},
    }
    assert first["properties"]["confirmation"]["status"] == "confirmed"
    assert in_notebook["locations"][0]["physicalLocation"]["region"]["properties"] == {"cell": 2}
    assert info["level"] == "note"
    assert (
        info["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "my%20scripts/100%25%20done.py"
    )
    assert rules[syntax["ruleIndex"]]["id"] == "SYNTAX"
    assert first["partialFingerprints"] != in_notebook["partialFingerprints"]


def test_internal_errors_are_tool_notifications_not_results() -> None:
    run = json.loads(render_sarif(sample_report(), all_rules()))["runs"][0]
    assert "INTERNAL" not in {r["ruleId"] for r in run["results"]}
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["descriptor"] == {"id": "INTERNAL"}
    location = notification["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "file:///abs/odd.py"}


def test_fingerprints_survive_moved_lines_and_output_is_deterministic() -> None:
    moved = Report(1, (diagnostic(line=30, end_line=30),))
    here = Report(1, (diagnostic(),))
    fingerprint = [
        json.loads(render_sarif(r, all_rules()))["runs"][0]["results"][0]["partialFingerprints"]
        for r in (moved, here)
    ]
    assert fingerprint[0] == fingerprint[1]
    assert render_sarif(sample_report(), all_rules()) == render_sarif(sample_report(), all_rules())
