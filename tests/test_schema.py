"""The JSON Schemas in schemas/ describe what preplint really prints and really reads."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from preplint.config import KNOWN_KEYS, config_from_table
from preplint.diagnostics import Confirmation, Diagnostic, Edit, Fix, Related, Report, Severity
from preplint.errors import ConfigError
from preplint.report.jsonout import render_json

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_SCHEMA = json.loads((ROOT / "schemas" / "output.schema.json").read_text(encoding="utf-8"))
CONFIG_SCHEMA = json.loads((ROOT / "schemas" / "config.schema.json").read_text(encoding="utf-8"))

BAD = "import torch\nstate = torch.load('model.pt')\n"


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def errors(schema: dict[str, Any], document: Any) -> list[str]:
    return [e.message for e in validator(schema).iter_errors(document)]


def preplint_json(args: list[str], cwd: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREPLINT_")}
    result = subprocess.run(
        [sys.executable, "-m", "preplint", "check", "--no-cache", "--format", "json", *args],
        cwd=cwd,
        capture_output=True,
        env=env,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.mark.parametrize("schema", [OUTPUT_SCHEMA, CONFIG_SCHEMA], ids=["output", "config"])
def test_schemas_are_valid_json_schemas(schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)


# --- output ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixtures_output() -> dict[str, Any]:
    return preplint_json(["fixtures"], ROOT)


def test_fixtures_output_is_valid(fixtures_output: dict[str, Any]) -> None:
    assert fixtures_output["diagnostics"], "the fixtures have findings"
    assert any(d["fix"] for d in fixtures_output["diagnostics"])
    assert any(d["related"] for d in fixtures_output["diagnostics"])
    assert errors(OUTPUT_SCHEMA, fixtures_output) == []


def test_committed_expectation_is_valid() -> None:
    expected = json.loads((ROOT / "fixtures" / "expected.json").read_text(encoding="utf-8"))
    assert errors(OUTPUT_SCHEMA, expected) == []


def test_notebook_and_unparsable_outputs_are_valid(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# notes"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": BAD.splitlines(True)},
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    (tmp_path / "broken.py").write_text("import torch\ndef (:\n", encoding="utf-8")
    document = preplint_json(["."], tmp_path)
    codes = {d["code"] for d in document["diagnostics"]}
    assert "SYNTAX" in codes
    assert any("cell" in d for d in document["diagnostics"])
    assert errors(OUTPUT_SCHEMA, document) == []


def test_clean_output_is_valid(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("x = 1\n", encoding="utf-8")
    document = preplint_json(["ok.py"], tmp_path)
    assert document["diagnostics"] == []
    assert errors(OUTPUT_SCHEMA, document) == []


def test_confirmation_and_cells_from_the_renderer_are_valid() -> None:
    diagnostic = Diagnostic(
        "MODE001",
        "no-eval-before-inference",
        Severity.ERROR,
        "model not in eval mode",
        "nb.ipynb",
        3,
        1,
        3,
        9,
        related=(Related("train.py", 34, 5, "model saved here", cell=None),),
        fix=Fix("Call `model.eval()`", (Edit(3, 1, 3, 1, "model.eval()\n"),)),
        confirmation=Confirmation("confirmed", "mode", "outputs differ by 0.3", "model.pt"),
        cell=2,
    )
    document = json.loads(render_json(Report(1, (diagnostic,))))
    assert errors(OUTPUT_SCHEMA, document) == []


def test_applicability_and_docs_url_are_allowed(fixtures_output: dict[str, Any]) -> None:
    document = copy.deepcopy(fixtures_output)
    for d in document["diagnostics"]:
        d["url"] = f"https://github.com/preplint/preplint/blob/main/docs/rules/{d['code']}.md"
        if d["fix"]:
            d["fix"]["applicability"] = "unsafe"
    assert errors(OUTPUT_SCHEMA, document) == []


def _first_with_fix(document: dict[str, Any]) -> dict[str, Any]:
    return next(d for d in document["diagnostics"] if d["fix"])


@pytest.mark.parametrize(
    "break_it",
    [
        lambda doc: doc.pop("summary"),
        lambda doc: doc.update(tool="ruff"),
        lambda doc: doc["diagnostics"][0].pop("code"),
        lambda doc: doc["diagnostics"][0].update(severity="fatal"),
        lambda doc: doc["diagnostics"][0].update(line=0),
        lambda doc: doc["diagnostics"][0].update(column="1"),
        lambda doc: doc["diagnostics"][0].update(colour="red"),
        lambda doc: doc["diagnostics"][0].update(url="not a uri"),
        lambda doc: doc["diagnostics"][0].update(related=[{"path": "x.py"}]),
        lambda doc: doc["diagnostics"][0].update(confirmation={"status": "maybe"}),
        lambda doc: _first_with_fix(doc)["fix"].update(applicability="sometimes"),
        lambda doc: _first_with_fix(doc)["fix"]["edits"][0].pop("replacement"),
        lambda doc: doc["summary"].update(files=-1),
    ],
)
def test_broken_output_is_rejected(fixtures_output: dict[str, Any], break_it: Any) -> None:
    document = copy.deepcopy(fixtures_output)
    break_it(document)
    assert errors(OUTPUT_SCHEMA, document) != []


# --- config ----------------------------------------------------------------------------------


def _tables_in(markdown: str) -> list[dict[str, Any]]:
    """Every ```toml block holding [tool.preplint] in a markdown file."""
    tables = []
    for block in markdown.split("```toml")[1:]:
        text = block.split("```", 1)[0]
        if "[tool.preplint]" in text:
            tables.append(tomllib.loads(text)["tool"]["preplint"])
    return tables


REAL_CONFIGS = [
    {},
    {"select": ["PRE", "LOAD001"], "ignore": ["MODE005"], "fail-on": "error"},
    {"select": "PRE,load001", "extend-select": ["ENV"]},
    {"per-file-ignores": {"tests/*": ["SEED"], "notebooks/*.ipynb": "MODE"}},
    {"exclude": ["build", "notebooks/scratch"], "artifact-roots": ["models"]},
    {"confirm-timeout": 2.5, "confirm-memory-mb": 512},
]


@pytest.mark.parametrize("table", REAL_CONFIGS)
def test_configs_the_tool_accepts_are_valid(table: dict[str, Any]) -> None:
    config_from_table(table, Path("pyproject.toml"))  # raises if preplint rejects it
    assert errors(CONFIG_SCHEMA, table) == []


def test_documented_configs_are_valid() -> None:
    tables = _tables_in((ROOT / "README.md").read_text(encoding="utf-8"))
    assert tables
    for table in tables:
        config_from_table(table, Path("pyproject.toml"))
        assert errors(CONFIG_SCHEMA, table) == []


def test_every_key_the_tool_accepts_is_in_the_schema() -> None:
    assert set(KNOWN_KEYS) <= set(CONFIG_SCHEMA["properties"])


@pytest.mark.parametrize(
    "table",
    [
        {"selectt": ["PRE"]},
        {"select": "PRE001; LOAD"},
        {"select": [3]},
        {"ignore": ["PRE-001"]},
        {"fail-on": "fatal"},
        {"exclude": "build"},
        {"per-file-ignores": {"tests/*": [1]}},
        {"artifact-roots": "models"},
        {"confirm-timeout": 0},
        {"confirm-memory-mb": 10},
        {"confirm-memory-mb": 1.5},
    ],
)
def test_configs_the_tool_rejects_are_invalid(table: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        config_from_table(table, Path("pyproject.toml"))
    assert errors(CONFIG_SCHEMA, table) != []


def test_readme_links_the_schemas() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Editors and CI", 1)[1].split("\n## ", 1)[0]
    for name in ("output.schema.json", "config.schema.json"):
        assert f"(schemas/{name})" in section
        assert (ROOT / "schemas" / name).is_file()
