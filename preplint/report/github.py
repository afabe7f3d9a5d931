"""`--format github`: one GitHub Actions workflow command per finding, shown as an annotation."""

from __future__ import annotations

from preplint.diagnostics import Diagnostic, Report, Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(report: Report) -> str:
    return "".join(command(d) + "\n" for d in report.diagnostics)


def command(d: Diagnostic) -> str:
    """`::error file=..,line=..,col=..,endLine=..,endColumn=..,title=CODE name::message`."""
    properties = {
        "file": d.path,
        "line": str(d.line),
        "col": str(d.column),
        "endLine": str(d.end_line),
        "endColumn": str(d.end_column),
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
