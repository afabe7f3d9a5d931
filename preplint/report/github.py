"""`--format github`: one GitHub Actions workflow command per finding, shown as an annotation."""

from __future__ import annotations

from collections.abc import Mapping

from preplint.diagnostics import Diagnostic, Report, Severity
from preplint.report import NotebookLines, file_line

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(report: Report, notebook_lines: NotebookLines | None = None) -> str:
    """One command per finding; notebook findings land on the `.ipynb` file's own lines."""
    lines = notebook_lines or {}
    return "".join(command(d, lines.get(d.path, {})) + "\n" for d in report.diagnostics)


def command(d: Diagnostic, file_lines: Mapping[tuple[int, int], int] | None = None) -> str:
    """`::error file=..,line=..,col=..,endLine=..,endColumn=..,title=CODE name::message`."""
    if d.cell is None:
        properties = {
            "file": d.path,
            "line": str(d.line),
            "col": str(d.column),
            "endLine": str(d.end_line),
            "endColumn": str(d.end_column),
            "title": f"{d.code} {d.name}",
        }
    else:
        # A line of the JSON file holds the source line quoted and escaped: no columns.
        start = file_line(file_lines or {}, d.cell, d.line)
        end = max(start, file_line(file_lines or {}, d.cell, d.end_line))
        properties = {
            "file": d.path,
            "line": str(start),
            "endLine": str(end),
            "title": f"{d.code} {d.name}",
        }
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    # Annotations on a notebook point into its JSON; the cell number says where the line really is.
    message = d.message if d.cell is None else f"cell {d.cell}, line {d.line}: {d.message}"
    return f"::{COMMANDS[d.severity]} {rendered}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """The runner's escaping for a command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """The runner's escaping for a property value: the data escapes plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
