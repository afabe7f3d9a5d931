"""Text output: --show-source and --confirm notes come from data the command line hands in."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from preplint.cli import main
from preplint.diagnostics import Diagnostic, Report, Severity
from preplint.report.text import render_text


def finding(**changes: object) -> Diagnostic:
    values: dict[str, object] = {
        "code": "SAFE001",
        "name": "torch-load-unsafe",
        "severity": Severity.WARNING,
        "message": "unsafe load",
        "path": "nb.ipynb",
        "line": 2,
        "column": 7,
        "end_line": 2,
        "end_column": 17,
        "cell": 3,
    }
    values.update(changes)
    return Diagnostic(**values)  # type: ignore[arg-type]


def test_show_source_prints_the_cell_line_handed_in() -> None:
    report = Report(1, (finding(),))
    sources = {("nb.ipynb", 3): ("x = 1", "  s = torch.load(p)"), ("nb.ipynb", None): ("{",)}
    lines = render_text(report, show_source=True, quiet=True, sources=sources).splitlines()
    assert lines == [
        "nb.ipynb:cell 3:2:7: SAFE001 unsafe load",
        "      s = torch.load(p)",
        "          ^^^^^^^^^^",
    ]
    # Nothing handed in for that cell: no source line, and no file is read instead.
    other = render_text(
        Report(1, (finding(cell=4),)), show_source=True, quiet=True, sources=sources
    )
    assert other == "nb.ipynb:cell 4:2:7: SAFE001 unsafe load\n"


def test_confirm_notes_are_the_reasons_handed_in() -> None:
    report = Report(1, (finding(), finding(line=5, end_line=5)))
    text = render_text(report, quiet=True, confirm=True, no_probe=["no artifact path known", None])
    assert text.splitlines() == [
        "nb.ipynb:cell 3:2:7: SAFE001 unsafe load",
        "    confirm: no probe ran (no artifact path known)",
        "nb.ipynb:cell 3:5:7: SAFE001 unsafe load",
    ]


def test_the_command_line_shows_a_notebook_cell_as_written(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Load"]},
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": ["    import torch\n", "    state = torch.load(path)\n"],
        },
    ]
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(document), encoding="utf-8")
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(
            main, ["check", "nb.ipynb", "--no-cache", "--show-source", "--confirm"]
        )
    finally:
        os.chdir(old)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("nb.ipynb:cell 2:2:13: SAFE001 ")
    assert lines[1] == "        state = torch.load(path)"
    assert lines[2] == "    " + " " * 12 + "^" * len("torch.load(path)")
    assert lines[3].startswith("    confirm: no probe ran (")
