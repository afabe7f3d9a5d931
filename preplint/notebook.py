"""Jupyter notebooks: code cells → one Python source, plus the map from its lines back to cells."""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from preplint.diagnostics import Diagnostic, Edit, Fix, Related

CellMap = tuple[tuple[int, int], ...]

# Python counts only these as line breaks; str.splitlines() would also split on \f, \x1c, ...
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
# A line IPython rewrites before Python sees it: %magic, !shell, ?help, `x = !cmd`, `x = %magic`.
# A leading `% x` or `!= x` is a continued expression inside brackets, not IPython.
_ESCAPED = re.compile(r"\s*(?:%[%\w]|![^=]|!\Z|\?|[\w.]+\s*=\s*(?:%\w|!))")
# `obj?`, `obj.attr??`: help on a name, with nothing after the question marks.
_HELP_SUFFIX = re.compile(r"\s*[\w.\[\]()]+\?\??\s*\Z")


class NotebookError(Exception):
    """The file is not a notebook this tool can read (broken JSON, unknown layout)."""


@dataclass(frozen=True)
class CodeCell:
    """One code cell: its number among code cells, its lines as written, and which IPython rewrote."""

    number: int  # 1-based, counting code cells only
    index: int  # position in the notebook's cell list (all kinds), to write fixes back
    lines: tuple[str, ...]  # without line endings
    escaped: frozenset[int]  # 1-based lines replaced by a blank line in the Python source


def split_lines(text: str) -> list[str]:
    """Lines without their endings, split where Python's tokenizer splits them."""
    return [line.rstrip("\r\n") for line in _LINE.findall(text)]


def load_notebook(data: bytes) -> dict[str, Any]:
    """The notebook's JSON object; NotebookError when it is not one."""
    try:
        document = json.loads(data)
    except (
        ValueError,
        RecursionError,
    ) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise NotebookError(f"invalid JSON: {_one_line(exc)}") from None
    if not isinstance(document, dict):
        raise NotebookError("not a Jupyter notebook: the top level is not a JSON object")
    if not isinstance(document.get("cells", []), list) or not isinstance(
        document.get("worksheets", []), list
    ):
        raise NotebookError("not a Jupyter notebook: 'cells' is not a list")
    if "cells" not in document and "worksheets" not in document:
        raise NotebookError("not a Jupyter notebook: no 'cells' list")
    return document


def cell_list(document: dict[str, Any]) -> list[Any]:
    """All cells in order: nbformat 4 `cells`, or nbformat 3 `worksheets[*].cells`."""
    if "cells" in document:
        return list(document["cells"])
    cells: list[Any] = []
    for sheet in document.get("worksheets", []):
        if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list):
            cells.extend(sheet["cells"])
    return cells


def cell_text(cell: dict[str, Any]) -> str:
    """A cell's source as one string (nbformat stores a string or a list of lines)."""
    raw = cell.get("source", cell.get("input", ""))  # nbformat 3 code cells use "input"
    if isinstance(raw, list) and all(isinstance(part, str) for part in raw):
        return "".join(raw)
    if isinstance(raw, str):
        return raw
    raise NotebookError(
        "not a Jupyter notebook: a cell's source is neither text nor a list of lines"
    )


def is_python(document: dict[str, Any]) -> bool:
    """False for notebooks that say their kernel runs another language (R, Julia, ...)."""
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return True
    for key, field in (("language_info", "name"), ("kernelspec", "language")):
        section = metadata.get(key)
        if isinstance(section, dict) and isinstance(section.get(field), str):
            return section[field].strip().lower() in ("python", "python3", "ipython", "")
    return True


def code_cells(document: dict[str, Any]) -> list[CodeCell]:
    """The notebook's code cells, numbered from 1, with their IPython-only lines marked."""
    out: list[CodeCell] = []
    for index, cell in enumerate(cell_list(document)):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        lines = tuple(split_lines(cell_text(cell)))
        out.append(CodeCell(len(out) + 1, index, lines, escaped_lines(lines)))
    return out


def escaped_lines(lines: tuple[str, ...]) -> frozenset[int]:
    """1-based lines that are IPython syntax, not Python; a cell magic claims the whole cell."""
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("%%"):
        return frozenset(range(1, len(lines) + 1))
    escaped: set[int] = set()
    continued = False
    for number, line in enumerate(lines, start=1):
        if continued or _is_escaped(line):
            escaped.add(number)
            # IPython joins a magic's backslash-continued lines into one command.
            continued = line.endswith("\\")
        else:
            continued = False
    return frozenset(escaped)


def _is_escaped(line: str) -> bool:
    return bool(_ESCAPED.match(line)) or (bool(_HELP_SUFFIX.match(line)) and "#" not in line)


def python_lines(cell: CodeCell) -> list[str]:
    """The cell as Python: each IPython-only line becomes an empty line, so numbers stay aligned."""
    return [
        "" if number in cell.escaped else line for number, line in enumerate(cell.lines, start=1)
    ]


def notebook_source(data: bytes) -> tuple[str, CellMap]:
    """The code cells joined into one Python source, and (cell, line in cell) for each of its lines."""
    document = load_notebook(data)
    if not is_python(document):
        return "", ()
    lines: list[str] = []
    cell_map: list[tuple[int, int]] = []
    for cell in code_cells(document):
        lines.extend(python_lines(cell))
        cell_map.extend((cell.number, number) for number in range(1, len(cell.lines) + 1))
    source = "".join(line + "\n" for line in lines)
    return source, tuple(cell_map)


def map_line(cell_map: CellMap, line: int) -> tuple[int | None, int]:
    """A line of the joined source → (cell, line in cell); (None, line) outside any cell."""
    if not cell_map or line < 1:
        return None, line
    if line <= len(cell_map):
        return cell_map[line - 1]
    # Past the last line (an end-of-file position): count on from the last cell's last line.
    cell, last = cell_map[-1]
    return cell, last + line - len(cell_map)


def source_line(cell_map: CellMap, cell: int, line: int) -> int:
    """(cell, line in cell) → the line of the joined source; the inverse of `map_line`."""
    position = bisect.bisect_left(cell_map, (cell, line))
    if position < len(cell_map) and cell_map[position] == (cell, line):
        return position + 1
    # Past the end of its cell: count on from the cell's last line.
    before = bisect.bisect_left(cell_map, (cell + 1, 0))
    if before > 0 and cell_map[before - 1][0] == cell:
        return before + line - cell_map[before - 1][1]
    return line


def map_diagnostic(diagnostic: Diagnostic, cell_map: CellMap) -> Diagnostic:
    """Joined-source lines → cell lines, for the finding, its same-file notes and its fix.

    Every line of a notebook diagnostic is then relative to `diagnostic.cell`. A fix whose
    edits leave that cell is dropped: one cell's text cannot express it.
    """
    cell, line = map_line(cell_map, diagnostic.line)
    end_cell, end_line = map_line(cell_map, diagnostic.end_line)
    end_column = diagnostic.end_column
    if end_cell != cell:  # a span across cells: point at its start, which is in one cell
        end_line, end_column = line, diagnostic.column + 1
    related = tuple(_map_related(r, diagnostic.path, cell_map) for r in diagnostic.related)
    return replace(
        diagnostic,
        cell=cell,
        line=line,
        end_line=max(line, end_line),
        end_column=end_column,
        related=related,
        fix=_map_fix(diagnostic.fix, cell, cell_map),
    )


def _map_related(related: Related, path: str, cell_map: CellMap) -> Related:
    if related.path != path or related.cell is not None:
        return related
    cell, line = map_line(cell_map, related.line)
    return replace(related, cell=cell, line=line)


def _map_fix(fix: Fix | None, cell: int | None, cell_map: CellMap) -> Fix | None:
    if fix is None or cell is None:
        return fix
    edits: list[Edit] = []
    for edit in fix.edits:
        start_cell, start = map_line(cell_map, edit.line)
        end_cell, end = map_line(cell_map, edit.end_line)
        if start_cell != cell or end_cell != cell:
            return None
        edits.append(replace(edit, line=start, end_line=end))
    return replace(fix, edits=tuple(edits))


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]
