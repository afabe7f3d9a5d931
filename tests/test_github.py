"""GitHub workflow commands: the exact syntax and escaping the Actions runner reads."""

from __future__ import annotations

from typing import Any

from preplint.diagnostics import Diagnostic, Report, Severity
from preplint.report.github import escape_data, escape_property, render_github


def finding(severity: Severity = Severity.ERROR, **changes: object) -> Diagnostic:
    values: dict[str, Any] = {
        "code": "PRE001",
        "name": "fitted-preprocessor-not-persisted",
        "severity": severity,
        "message": "StandardScaler `scaler` is fitted here but never saved",
        "path": "src/train.py",
        "line": 12,
        "column": 5,
        "end_line": 12,
        "end_column": 41,
    }
    values.update(changes)
    return Diagnostic(**values)


def test_one_command_per_finding_in_the_exact_syntax() -> None:
    report = Report(
        1, (finding(), finding(Severity.WARNING, line=20, end_line=21), finding(Severity.INFO))
    )
    assert render_github(report).splitlines() == [
        "::error file=src/train.py,line=12,col=5,endLine=12,endColumn=41,title=PRE001 fitted-preprocessor-not-persisted::StandardScaler `scaler` is fitted here but never saved",
        "::warning file=src/train.py,line=20,col=5,endLine=21,endColumn=41,title=PRE001 fitted-preprocessor-not-persisted::StandardScaler `scaler` is fitted here but never saved",
        "::notice file=src/train.py,line=12,col=5,endLine=12,endColumn=41,title=PRE001 fitted-preprocessor-not-persisted::StandardScaler `scaler` is fitted here but never saved",
    ]


def test_message_and_properties_are_escaped() -> None:
    odd = finding(path="a,b:c%d.py", message="50% of rows\r\nare: dropped, twice")
    assert render_github(Report(1, (odd,))) == (
        "::error file=a%2Cb%3Ac%25d.py,line=12,col=5,endLine=12,endColumn=41,"
        "title=PRE001 fitted-preprocessor-not-persisted::50%25 of rows%0D%0Aare: dropped, twice\n"
    )


def test_escaping_rules() -> None:
    assert escape_data("%\r\n:,") == "%25%0D%0A:,"
    assert escape_property("%\r\n:,") == "%25%0D%0A%3A%2C"


def test_notebook_findings_land_on_the_ipynb_line_and_name_their_cell() -> None:
    report = Report(1, (finding(path="nb.ipynb", cell=3, line=2, end_line=3),))
    line = render_github(report, {"nb.ipynb": {(3, 1): 30, (3, 2): 31, (3, 3): 32}})
    assert line.startswith(
        "::error file=nb.ipynb,line=31,endLine=32,title=PRE001 fitted-preprocessor-not-persisted::"
    )
    assert line.endswith(
        "::cell 3, line 2: StandardScaler `scaler` is fitted here but never saved\n"
    )
    # Without the map (the file is gone) the annotation falls on line 1, not on line 2 of
    # the JSON file, and a line past the cell's end falls on the cell's last known line.
    assert render_github(report).startswith("::error file=nb.ipynb,line=1,endLine=1,")
    past = Report(1, (finding(path="nb.ipynb", cell=3, line=9, end_line=9),))
    assert ",line=32,endLine=32," in render_github(past, {"nb.ipynb": {(3, 1): 30, (3, 2): 32}})
    plain = render_github(Report(1, (finding(),)), {"nb.ipynb": {(3, 1): 30}})
    assert plain.startswith("::error file=src/train.py,line=12,col=5,endLine=12,endColumn=41,")


def test_no_findings_no_output() -> None:
    assert render_github(Report(3, ())) == ""
