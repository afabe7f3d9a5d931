"""SARIF output: valid against the official SARIF 2.1.0 schema, with rules, locations and fixes."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from preplint.diagnostics import Confirmation, Diagnostic, Edit, Fix, Related, Report, Severity
from preplint.engine import lint_sources
from preplint.render_input import DOCS_URL, sarif_rules
from preplint.report.sarif import render_sarif
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
    log = json.loads(render_sarif(sample_report(), sarif_rules(all_rules())))
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
    log = json.loads(render_sarif(report, sarif_rules(rules)))
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    findings = [d for d in report.diagnostics if d.code != "INTERNAL"]  # those are notifications
    assert len(log["runs"][0]["results"]) == len(findings)


def test_driver_lists_every_rule_with_docs_and_level() -> None:
    rules = all_rules()
    driver = json.loads(render_sarif(Report(0, ()), sarif_rules(rules)))["runs"][0]["tool"][
        "driver"
    ]
    assert driver["name"] == "preplint"
    assert [r["id"] for r in driver["rules"]] == [rule.code for rule in rules]
    for rule, entry in zip(rules, driver["rules"], strict=True):
        assert entry["name"] == rule.name
        assert entry["shortDescription"]["text"] == rule.summary
        assert entry["helpUri"] == DOCS_URL.format(code=rule.code)
        assert entry["help"]["markdown"].startswith(f"# {rule.code}: {rule.name}")
        assert entry["defaultConfiguration"]["level"] in ("error", "warning", "note")


def test_results_carry_location_related_locations_and_fix() -> None:
    run = json.loads(render_sarif(sample_report(), sarif_rules(all_rules())))["runs"][0]
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
    # Without the notebook's line map the region falls on the file's first line, never on
    # the cell's line taken as a line of the JSON file.
    assert in_notebook["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1,
        "endLine": 1,
        "properties": {"cell": 2, "line": 4, "endLine": 4, "column": 9, "endColumn": 31},
    }
    assert info["level"] == "note"
    assert (
        info["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "my%20scripts/100%25%20done.py"
    )
    assert rules[syntax["ruleIndex"]]["id"] == "SYNTAX"
    assert first["partialFingerprints"] != in_notebook["partialFingerprints"]


def test_internal_errors_are_tool_notifications_not_results() -> None:
    run = json.loads(render_sarif(sample_report(), sarif_rules(all_rules())))["runs"][0]
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
        json.loads(render_sarif(r, sarif_rules(all_rules())))["runs"][0]["results"][0][
            "partialFingerprints"
        ]
        for r in (moved, here)
    ]
    assert fingerprint[0] == fingerprint[1]
    assert render_sarif(sample_report(), sarif_rules(all_rules())) == render_sarif(
        sample_report(), sarif_rules(all_rules())
    )


def test_notebook_regions_use_the_lines_of_the_ipynb_file() -> None:
    fixed = Fix("Pass `weights_only=True`", (Edit(4, 30, 4, 30, ", weights_only=True"),))
    report = Report(
        1,
        (
            diagnostic(
                path="nb.ipynb",
                cell=2,
                line=4,
                end_line=5,
                fix=fixed,
                related=(Related("nb.ipynb", 1, 3, "saved here", cell=5),),
            ),
        ),
    )
    lines = {"nb.ipynb": {(2, 3): 40, (2, 4): 41, (2, 5): 42, (5, 1): 77}}
    log = json.loads(render_sarif(report, sarif_rules(all_rules()), lines))
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    [found] = log["runs"][0]["results"]
    region = found["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["endLine"]) == (41, 42)
    assert "startColumn" not in region  # a JSON line holds the source quoted, columns differ
    assert region["properties"]["cell"] == 2
    related = found["relatedLocations"][0]["physicalLocation"]["region"]
    assert (related["startLine"], related["properties"]["cell"]) == (77, 5)
    assert "fixes" not in found  # cell-relative edits would corrupt the JSON file


def test_a_notebook_finding_lands_on_its_line_of_the_ipynb_file(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Load\n", "text\n"]},
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": ["import torch\n", "%time x = 1\n", "state = torch.load('m.pt')\n"],
        },
    ]
    text = json.dumps(
        {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1
    )
    (tmp_path / "nb.ipynb").write_text(text, encoding="utf-8")
    for output_format in ("sarif", "github"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "preplint",
                "check",
                "nb.ipynb",
                "--no-cache",
                "--format",
                output_format,
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        if output_format == "sarif":
            [found] = json.loads(done.stdout)["runs"][0]["results"]
            region = found["locations"][0]["physicalLocation"]["region"]
            line, cell = region["startLine"], region["properties"]["cell"]
        else:
            [command] = done.stdout.splitlines()
            line = int(command.split("line=")[1].split(",")[0])
            cell = int(command.split("::")[2].split(",")[0].removeprefix("cell "))
        assert cell == 2
        assert "torch.load('m.pt')" in text.splitlines()[line - 1]


def test_renderers_import_no_rules_run_no_probes_and_read_no_files() -> None:
    allowed = {"preplint", "preplint.diagnostics", "preplint.report"}
    stdlib = {
        "__future__",
        "collections.abc",
        "hashlib",
        "json",
        "re",
        "typing",
        "urllib.parse",
        "pathlib",
    }
    for path in sorted((Path(__file__).parent.parent / "preplint" / "report").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module in allowed | stdlib, f"{path.name} imports {node.module}"
                if node.module == "pathlib":
                    assert {a.name for a in node.names} <= {"PurePosixPath", "PureWindowsPath"}
            elif isinstance(node, ast.Import):
                assert {a.name for a in node.names} <= stdlib, path.name
            elif isinstance(node, ast.Name):
                assert node.id != "open", f"{path.name} opens a file"
            elif isinstance(node, ast.Attribute):
                assert node.attr not in ("read_text", "read_bytes"), f"{path.name} reads a file"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, preplint.report.sarif, preplint.report.text, preplint.report.github, "
            "preplint.report.jsonout; print(sorted(m for m in sys.modules if m.startswith("
            "('preplint.rules', 'preplint.confirm', 'preplint.docs', 'preplint.facts'))))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]"
