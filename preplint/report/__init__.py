"""Renderers: each turns a Report into the text of one output format (text, json, sarif, github).

Renderers only render: what they need beyond the Report (rule descriptions, source lines,
where notebook lines sit in their file) is handed to them as plain data.
"""

from __future__ import annotations

from collections.abc import Mapping

# path → (cell, line in cell) → line of the .ipynb file that holds it
NotebookLines = Mapping[str, Mapping[tuple[int, int], int]]


def file_line(lines: Mapping[tuple[int, int], int], cell: int, line: int) -> int:
    """The file line of a cell's line; past the cell's end, its last known line; else 1."""
    found = lines.get((cell, line))
    while found is None and line > 1:
        line -= 1
        found = lines.get((cell, line))
    return found or 1
