"""Jupyter notebooks as IPython runs them: cells → one Python source, and the map back to cells.

Each code cell is turned into Python the way IPython's input transformers turn it: leading
blank lines and a uniform indentation are dropped, `>>>`/`In [n]:` prompts stripped, line
magics, `!cmd`, `x = !cmd`, `x = %magic` and `obj?` help become the calls IPython makes of
them. Unlike IPython, the result keeps one line per line of the cell (a backslash-continued
magic leaves blank lines), so every other line stays at its line; its column moves back by
the characters removed from its start, which the map records. A cell IPython cannot turn into
Python is reported at its own cell and line and left out of the joined source.
"""

from __future__ import annotations

import ast
import bisect
import io
import json
import re
import tokenize
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from typing import Any

from preplint.diagnostics import Diagnostic, Edit, Fix, Related, Severity

# One entry per line of the joined source: (cell, line in cell, characters removed from its start).
CellMap = tuple[tuple[int, int, int], ...]

# Python counts only these as line breaks; str.splitlines() would also split on \f, \x1c, ...
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_INDENT = re.compile(r"[ \t]+")
# Prompts pasted from a console: `>>> `/`... ` (only if the first line has `>>>`) and `In [3]: `.
_CLASSIC_FIRST = re.compile(r">>>(?: |$)")
_CLASSIC_ANY = re.compile(r"(?:>>>|\.\.\.)(?: |$)")
_IPYTHON_PROMPT = re.compile(r"(?:(?:(?:\[nav\]|\[ins\])? )?In \[\d+\]: |\s*\.{3,}: ?)")
# What `obj?` may ask about: a dotted name, perhaps indexed by integers, perhaps a magic.
_HELP_TARGET = re.compile(r"(%{0,2}(?!\d)[\w*]+(?:\.(?!\d)[\w*]+|\[-?[0-9]+\])*)(\?\??)$")

# Cell magics that run their body as Python; the body is analysed. Others are skipped.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "memit"})
# Line magics (and the shell aliases) IPython knows by default, so runs without `%`
# (automagic) in a cell of one line.
_MAGIC_NAMES = """alias alias_magic autoawait autocall autoindent automagic bookmark cat cd clear colors
    conda config cp cpaste debug dhist dirs doctest_mode ed edit env gui hist history
    killbgscripts ldir less lf lk ll load load_ext loadpy logoff logon logstart logstate logstop
    ls lsmagic lx macro magic man matplotlib mkdir more mv notebook page paste pastebin pdb pdef
    pdoc pfile pinfo pinfo2 pip popd pprint precision prun psearch psource pushd pwd pycat pylab
    quickref recall rehashx reload_ext rep rerun reset reset_selective rm rmdir run save sc
    set_env sx system tb time timeit unalias unload_ext who who_ls whos xdel xmode"""
KNOWN_LINE_MAGICS = frozenset(_MAGIC_NAMES.split())
_LINE_ESCAPES = frozenset("!?%,;/")
_SPECIAL_ASSIGN = re.compile(r"=\s*[%!]")
_ESCAPES = ("!!", "??", "!", "?", "%", ",", ";", "/")
_TRANSFORM_LIMIT = 500


class NotebookError(Exception):
    """The file is not a notebook this tool can read (broken JSON, unknown layout)."""


@dataclass(frozen=True)
class CellProblem:
    """Why IPython could not turn a cell into Python: 1-based line and column in the cell."""

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class CodeCell:
    """One code cell as written and as Python, line for line."""

    number: int  # 1-based among all cells, markdown included (as ruff and Jupyter count)
    lines: tuple[str, ...]  # as written, without line endings
    python: tuple[str, ...]  # as IPython would run it; blank when the cell is skipped or broken
    shift: tuple[int, ...]  # per line: characters removed from its start (indent, prompt)
    rewritten: frozenset[int]  # 1-based lines IPython rewrites (magics, help, shell, joins)
    problem: CellProblem | None = None


@dataclass
class _Lines:
    """A cell being turned into Python; `text` keeps one entry per line of the cell."""

    text: list[str]
    shift: list[int]
    rewritten: set[int]  # 0-based

    def strip_prefix(self, index: int, length: int) -> None:
        self.text[index] = self.text[index][length:]
        self.shift[index] += length

    def put(self, start: int, end: int, line: str) -> None:
        """Lines start..end (0-based, inclusive) become `line` followed by blank lines."""
        self.text[start] = line
        for index in range(start + 1, end + 1):
            self.text[index] = ""
        self.rewritten.update(range(start, end + 1))

    def source(self) -> str:
        return "".join(line + "\n" for line in self.text)


def transform_cell(lines: Sequence[str], number: int = 1) -> CodeCell:
    """The cell as Python, as IPython's input transformers make it, one line per line."""
    work = _Lines(list(lines), [0] * len(lines), set())
    _rewrite(work, 0)
    problem = _compile_problem(work)
    if problem is not None and _automagic(work):
        problem = _compile_problem(work)
    if problem is not None:
        work.text = [""] * len(lines)
    return CodeCell(
        number,
        tuple(lines),
        tuple(work.text),
        tuple(work.shift),
        frozenset(index + 1 for index in work.rewritten),
        problem,
    )


def _rewrite(work: _Lines, start: int) -> None:
    """IPython's cleanup, cell-magic and token transforms on lines start.. of `work`."""
    first = next((i for i in range(start, len(work.text)) if work.text[i].strip()), None)
    if first is None:
        return
    for index in range(start, first):  # leading blank lines are dropped by IPython
        work.text[index] = ""
    indent = _INDENT.match(work.text[first])
    if indent:
        prefix = indent.group(0)
        for index in range(first, len(work.text)):
            if work.text[index].startswith(prefix):
                work.strip_prefix(index, len(prefix))
    _strip_prompts(work, first, _CLASSIC_FIRST, _CLASSIC_ANY)
    _strip_prompts(work, first, _IPYTHON_PROMPT, _IPYTHON_PROMPT)
    head = work.text[first]
    if head.startswith("%%") and not re.match(r"%%\w+\?", head):
        name = head[2:].rstrip().partition(" ")[0]
        work.put(first, first, "")
        if name in PYTHON_CELL_MAGICS:
            body = _Lines(work.text, work.shift, set())
            _rewrite(body, first + 1)
            work.rewritten |= body.rewritten
            if _compile_problem(body) is None:
                return
        # Another language, or a body that is not Python: nothing to analyse.
        work.put(first, len(work.text) - 1, "")
        return
    if not _may_be_special(work.text):
        return
    for _ in range(_TRANSFORM_LIMIT):
        if not _one_token_transform(work):
            return


def _may_be_special(text: list[str]) -> bool:
    """False when no token transform can apply: no escape starts a line, no `?`, no `= %`/`= !`."""
    return any(
        line.lstrip()[:1] in _LINE_ESCAPES or "?" in line or _SPECIAL_ASSIGN.search(line)
        for line in text
    )


def _strip_prompts(
    work: _Lines, first: int, initial: re.Pattern[str], any_: re.Pattern[str]
) -> None:
    second = work.text[first + 1] if first + 1 < len(work.text) else None
    if not (initial.match(work.text[first]) or (second is not None and any_.match(second))):
        return
    for index in range(first, len(work.text)):
        found = any_.match(work.text[index])
        if found:
            work.strip_prefix(index, found.end())


def _compile_problem(work: _Lines) -> CellProblem | None:
    """None when Python accepts the cell (top-level `await` included, as IPython runs it)."""
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    try:
        with warnings.catch_warnings():  # invalid escapes and the like are the user's business
            warnings.simplefilter("ignore")
            compile(work.source(), "<cell>", "exec", flags, dont_inherit=True)
    except SyntaxError as exc:
        line = min(max(exc.lineno or 1, 1), max(len(work.text), 1))
        shift = work.shift[line - 1] if work.shift else 0
        return CellProblem(line, max(exc.offset or 1, 1) + shift, exc.msg)
    except (ValueError, RecursionError, MemoryError) as exc:
        return CellProblem(1, 1, " ".join(str(exc).split())[:200] or type(exc).__name__)
    return None


# --- IPython's token transforms: one special form at a time, the earliest first ----------------


def _logical_lines(source: str) -> list[list[tokenize.TokenInfo]]:
    """Tokens grouped by logical line; a bracketed expression over lines is one group."""
    groups: list[list[tokenize.TokenInfo]] = [[]]
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            groups[-1].append(token)
            if token.type == tokenize.NEWLINE or (token.type == tokenize.NL and depth <= 0):
                groups.append([])
            elif token.string in ("(", "[", "{"):
                depth += 1
            elif token.string in (")", "]", "}") and depth > 0:
                depth -= 1
    except (tokenize.TokenError, SyntaxError):
        pass  # special syntax or an open bracket: what came before is still good
    return [group for group in groups if group]


def _first_code_token(group: list[tokenize.TokenInfo]) -> int:
    index = 0
    while index < len(group) and group[index].type in (tokenize.INDENT, tokenize.DEDENT):
        index += 1
    return index


def _assignment(group: list[tokenize.TokenInfo]) -> int | None:
    """Index of the first `=` outside brackets."""
    depth = 0
    for index, token in enumerate(group):
        if token.string == "=" and depth == 0:
            return index
        if token.string in ("(", "[", "{"):
            depth += 1
        elif token.string in (")", "]", "}") and depth > 0:
            depth -= 1
    return None


def _find_magic_assign(groups: list[list[tokenize.TokenInfo]]) -> tuple[int, int] | None:
    for group in groups:
        at = _assignment(group)
        if (
            at is not None
            and len(group) > at + 2
            and group[at + 1].string == "%"
            and group[at + 2].type == tokenize.NAME
        ):
            return group[at + 1].start
    return None


def _find_system_assign(groups: list[list[tokenize.TokenInfo]]) -> tuple[int, int] | None:
    for group in groups:
        at = _assignment(group)
        if at is None or group[at].line.strip().startswith("="):
            continue
        for token in group[at + 1 :]:
            if token.string == "!" and token.type in (tokenize.ERRORTOKEN, tokenize.OP):
                return token.start
            if token.type != tokenize.ERRORTOKEN or not token.string.isspace():
                break
    return None


def _find_escaped(groups: list[list[tokenize.TokenInfo]]) -> tuple[int, int] | None:
    for group in groups:
        index = _first_code_token(group)
        if index < len(group) and group[index].string in ("!", "?", "%", ",", ";", "/"):
            return group[index].start
    return None


def _find_help(
    groups: list[list[tokenize.TokenInfo]],
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    for group in groups:
        if len(group) > 2 and group[-2].string == "?":
            return group[_first_code_token(group)].start, group[-2].start
    return None


def _one_token_transform(work: _Lines) -> bool:
    """Rewrite the earliest special form; False when none is left (or none can be rewritten)."""
    groups = _logical_lines(work.source())
    found: list[tuple[tuple[int, int, int], int, Any]] = []
    for order, finder in enumerate((_find_magic_assign, _find_system_assign, _find_escaped)):
        start = finder(groups)
        if start is not None:
            found.append(((start[0], start[1], 10), order, (finder, start)))
    help_at = _find_help(groups)
    if help_at is not None:
        found.append(((help_at[0][0], help_at[0][1], 5), 3, (_find_help, help_at)))
    for _, _, (finder, where) in sorted(found, key=lambda item: (item[0], item[1])):
        if finder is _find_help:
            if _rewrite_help(work, where[0], where[1]):
                return True
            continue
        line, column = where[0] - 1, where[1]
        end = line
        while end + 1 < len(work.text) and work.text[end].endswith("\\"):
            end += 1
        joined = _join_continued(work.text, line, column, end)
        lead = work.text[line][:column]
        if finder is _find_magic_assign:
            name, _, args = joined[1:].partition(" ")
            call = f"get_ipython().run_line_magic({name!r}, {args!r})"
        elif finder is _find_system_assign:
            call = f"get_ipython().getoutput({joined[1:]!r})"
        else:
            call = _escaped_call(joined)
        work.put(line, end, lead + call)
        return True
    return False


def _join_continued(text: list[str], line: int, column: int, end: int) -> str:
    """A backslash-continued command as one line, as IPython joins it."""
    parts = [text[line][column:], *text[line + 1 : end + 1]]
    return " ".join([part.rstrip()[:-1] for part in parts[:-1]] + [parts[-1].rstrip()])


def _escaped_call(command: str) -> str:
    escape = next(e for e in _ESCAPES if command.startswith(e))
    content = command[len(escape) :]
    if escape in ("?", "??"):
        return _help_call(content, escape) if content else "get_ipython().show_usage()"
    if escape == "!":
        return f"get_ipython().system({content!r})"
    if escape == "!!":
        return f"get_ipython().getoutput({content!r})"
    name, _, args = content.partition(" ")
    if escape == "%":
        return f"get_ipython().run_line_magic({name!r}, {args!r})"
    if escape == ",":
        quoted = '", "'.join(args.split())
        return f'{name}("{quoted}")'
    if escape == ";":
        return f'{name}("{args}")'
    return f"{name}({', '.join(args.split())})"


def _help_call(target: str, escape: str) -> str:
    method = "pinfo2" if escape == "??" else "psearch" if "*" in target else "pinfo"
    name, _, args = f"{method} {target}".partition(" ")
    return f"get_ipython().run_line_magic({name.lstrip('%')!r}, {args!r})"


def _rewrite_help(work: _Lines, start: tuple[int, int], question: tuple[int, int]) -> bool:
    line, column, last = start[0] - 1, start[1], question[0] - 1
    piece = "".join(text + "\n" for text in work.text[line : last + 1])
    found = _HELP_TARGET.search(piece[column:])
    if found is None:
        return False
    work.put(line, last, piece[:column] + _help_call(found.group(1), found.group(2)))
    return True


def _automagic(work: _Lines) -> bool:
    """A cell of one line `ls ./data` runs as `%ls ./data` (IPython's automagic)."""
    lines = [i for i, text in enumerate(work.text) if text.strip() or i not in work.rewritten]
    first = next((i for i in lines if work.text[i].strip()), None)
    if first is None or lines[-1] != first or first in work.rewritten:
        return False
    found = re.match(r"([A-Za-z_]\w*)(\s.*)?\Z", work.text[first])
    if found is None or found.group(1) not in KNOWN_LINE_MAGICS:
        return False
    rest = (found.group(2) or "").strip()
    if rest.startswith("=") and not rest.startswith("=="):
        return False
    work.put(first, first, _escaped_call(f"%{found.group(1)} {rest}".rstrip()))
    return True


# --- the notebook document ----------------------------------------------------------------------


def split_lines(text: str) -> list[str]:
    """Lines without their endings, split where Python's tokenizer splits them."""
    return [line.rstrip("\r\n") for line in _LINE.findall(text)]


def load_notebook(data: bytes) -> dict[str, Any]:
    """The notebook's JSON object; NotebookError when it is not one."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError: ValueError
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
    """The notebook's code cells as Python, numbered among all cells from 1."""
    out: list[CodeCell] = []
    for index, cell in enumerate(cell_list(document)):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            out.append(transform_cell(split_lines(cell_text(cell)), index + 1))
    return out


@dataclass(frozen=True)
class NotebookSource:
    """The code cells joined into one Python source, its map back to cells, and broken cells."""

    source: str
    cell_map: CellMap
    broken: tuple[CodeCell, ...] = ()


def read_notebook(data: bytes) -> NotebookSource:
    document = load_notebook(data)
    if not is_python(document):
        return NotebookSource("", ())
    lines: list[str] = []
    cell_map: list[tuple[int, int, int]] = []
    broken: list[CodeCell] = []
    for cell in code_cells(document):
        lines.extend(cell.python)
        cell_map.extend(
            (cell.number, number, shift) for number, shift in enumerate(cell.shift, start=1)
        )
        if cell.problem is not None:
            broken.append(cell)
    return NotebookSource("".join(line + "\n" for line in lines), tuple(cell_map), tuple(broken))


def notebook_source(data: bytes) -> tuple[str, CellMap]:
    """The code cells joined into one Python source, and (cell, line, shift) for each line."""
    read = read_notebook(data)
    return read.source, read.cell_map


def syntax_diagnostic(path: str, broken: Sequence[CodeCell]) -> Diagnostic:
    """SYNTAX at the first cell IPython cannot run, naming any others."""
    cell = broken[0]
    assert cell.problem is not None
    problem = cell.problem
    more = ""
    if len(broken) > 1:
        others = ", ".join(str(c.number) for c in broken[1:6]) + (
            ", ..." if len(broken) > 6 else ""
        )
        more = f" (also cell{'s' if len(broken) > 2 else ''} {others})"
    return Diagnostic(
        "SYNTAX",
        "syntax",
        Severity.ERROR,
        f"cannot parse cell {cell.number}: {problem.message}{more}; its cell is not analysed",
        path,
        problem.line,
        problem.column,
        problem.line,
        problem.column + 1,
        cell=cell.number,
    )


# --- positions: joined source ↔ cell -------------------------------------------------------------


def map_line(cell_map: CellMap, line: int) -> tuple[int | None, int]:
    """A line of the joined source → (cell, line in cell); (None, line) outside any cell."""
    if not cell_map or line < 1:
        return None, line
    if line <= len(cell_map):
        return cell_map[line - 1][0], cell_map[line - 1][1]
    # Past the last line (an end-of-file position): count on from the last cell's last line.
    cell, last = cell_map[-1][0], cell_map[-1][1]
    return cell, last + line - len(cell_map)


def _shift(cell_map: CellMap, line: int) -> int:
    return cell_map[line - 1][2] if 1 <= line <= len(cell_map) else 0


def source_line(cell_map: CellMap, cell: int, line: int) -> int:
    """(cell, line in cell) → the line of the joined source; the inverse of `map_line`."""
    position = bisect.bisect_left(cell_map, (cell, line))
    if position < len(cell_map) and cell_map[position][:2] == (cell, line):
        return position + 1
    # Past the end of its cell: count on from the cell's last line.
    before = bisect.bisect_left(cell_map, (cell + 1, 0))
    if before > 0 and cell_map[before - 1][0] == cell:
        return before + line - cell_map[before - 1][1]
    return line


def map_diagnostic(diagnostic: Diagnostic, cell_map: CellMap) -> Diagnostic:
    """Joined-source positions → cell positions, for the finding, its notes and its fix.

    Lines count within `diagnostic.cell`; columns count in the line as written in the cell
    (the indentation IPython removed is added back). A fix whose edits leave that cell is
    dropped: one cell's text cannot express it.
    """
    cell, line = map_line(cell_map, diagnostic.line)
    end_cell, end_line = map_line(cell_map, diagnostic.end_line)
    column = diagnostic.column + _shift(cell_map, diagnostic.line)
    end_column = diagnostic.end_column + _shift(cell_map, diagnostic.end_line)
    if end_cell != cell:  # a span across cells: point at its start, which is in one cell
        end_line, end_column = line, column + 1
    related = tuple(_map_related(r, diagnostic.path, cell_map) for r in diagnostic.related)
    return replace(
        diagnostic,
        cell=cell,
        line=line,
        column=column,
        end_line=max(line, end_line),
        end_column=end_column,
        related=related,
        fix=_map_fix(diagnostic.fix, cell, cell_map),
    )


def _map_related(related: Related, path: str, cell_map: CellMap) -> Related:
    if related.path != path or related.cell is not None:
        return related
    cell, line = map_line(cell_map, related.line)
    return replace(
        related, cell=cell, line=line, column=related.column + _shift(cell_map, related.line)
    )


def _map_fix(fix: Fix | None, cell: int | None, cell_map: CellMap) -> Fix | None:
    if fix is None or cell is None:
        return fix
    edits: list[Edit] = []
    for edit in fix.edits:
        start_cell, start = map_line(cell_map, edit.line)
        end_cell, end = map_line(cell_map, edit.end_line)
        if start_cell != cell or end_cell != cell:
            return None
        edits.append(
            replace(
                edit,
                line=start,
                column=edit.column + _shift(cell_map, edit.line),
                end_line=end,
                end_column=edit.end_column + _shift(cell_map, edit.end_line),
            )
        )
    return replace(fix, edits=tuple(edits))


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]


# --- the raw file: where each cell's source sits, and writing fixed cells back in place ----------

_SPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")


@dataclass(frozen=True)
class _Source:
    """A cell's `source` value in the raw text: its span, and the span of each string in it."""

    start: int
    end: int
    parts: tuple[tuple[int, int], ...]  # spans of the JSON strings (one if stored as a string)
    is_list: bool


class _Scanner:
    """Finds each cell's `source` (or nbformat 3 `input`) in the raw JSON text, with offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cells: list[_Source | None] = []

    def skip(self, at: int) -> int:
        found = _SPACE.match(self.text, at)
        return found.end() if found else at

    def value(self, at: int, path: tuple[str, ...]) -> int:
        """Scans the value at `at`; returns where it ends. `path` names where it sits."""
        at = self.skip(at)
        char = self.text[at : at + 1]
        if char == "{":
            return self.obj(at, path)
        if char == "[":
            return self.array(at, path)
        if char == '"':
            return json.decoder.scanstring(self.text, at + 1)[1]  # type: ignore[attr-defined]
        found = _SCALAR.match(self.text, at)
        if found is None:
            raise NotebookError("invalid JSON")
        return found.end()

    def obj(self, at: int, path: tuple[str, ...]) -> int:
        at = self.skip(at + 1)
        is_cell = path in (("cells", "[]"), ("worksheets", "[]", "cells", "[]"))
        if is_cell:
            self.cells.append(None)
        if self.text[at] == "}":
            return at + 1
        while True:
            at = self.skip(at)
            key, at = json.decoder.scanstring(self.text, at + 1)  # type: ignore[attr-defined]
            at = self.skip(at) + 1  # the colon
            start = self.skip(at)
            at = self.value(start, (*path, key))
            if is_cell and (key == "source" or (key == "input" and self.cells[-1] is None)):
                self.cells[-1] = self.source(start, at)
            at = self.skip(at)
            if self.text[at] == "}":
                return at + 1
            at += 1  # the comma

    def array(self, at: int, path: tuple[str, ...]) -> int:
        at = self.skip(at + 1)
        if self.text[at] == "]":
            return at + 1
        while True:
            at = self.value(at, (*path, "[]"))
            at = self.skip(at)
            if self.text[at] == "]":
                return at + 1
            at += 1

    def source(self, start: int, end: int) -> _Source:
        if self.text[start] == '"':
            return _Source(start, end, ((start, end),), False)
        parts: list[tuple[int, int]] = []
        at = self.skip(start + 1)
        while self.text[at] == '"':
            stop = json.decoder.scanstring(self.text, at + 1)[1]  # type: ignore[attr-defined]
            parts.append((at, stop))
            at = self.skip(stop)
            at = self.skip(at + 1) if self.text[at] == "," else at
        return _Source(start, end, tuple(parts), True)


def _scan(text: str) -> list[_Source | None]:
    scanner = _Scanner(text)
    try:
        scanner.value(1 if text.startswith("\ufeff") else 0, ())  # a BOM stays where it is
    except (IndexError, ValueError, RecursionError) as exc:
        raise NotebookError(f"invalid JSON: {_one_line(exc)}") from None
    return scanner.cells


def raw_lines(data: bytes) -> dict[tuple[int, int], int]:
    """(cell, line in cell) → the line of the `.ipynb` file holding the start of that line."""
    text = data.decode("utf-8", "replace")
    out: dict[tuple[int, int], int] = {}
    for number, found in enumerate(_scan(text), start=1):
        if found is None:
            continue
        line, at_line_start = 1, True
        for start, end in found.parts:
            file_line = text.count("\n", 0, start) + 1
            piece = json.loads(text[start:end])
            for char in piece:
                if at_line_start:
                    out[(number, line)] = file_line
                    at_line_start = False
                if char == "\n":
                    line, at_line_start = line + 1, True
    return out


def replace_cells(data: bytes, new_texts: dict[int, str]) -> str:
    """The notebook's text with those cells' sources replaced and every other byte kept.

    A source stored as a list keeps the strings of its unchanged lines as written, and the
    separators between them; new strings are escaped the way the file escapes (ASCII or not).
    """
    text = data.decode("utf-8")
    found = _scan(text)
    ascii_only = data.isascii()
    pieces: list[str] = []
    at = 0
    for number in sorted(new_texts):
        source = found[number - 1] if 0 < number <= len(found) else None
        if source is None:
            raise NotebookError(f"cell {number} has no source to fix")
        pieces.append(text[at : source.start])
        pieces.append(_source_text(text, source, new_texts[number], ascii_only))
        at = source.end
    pieces.append(text[at:])
    return "".join(pieces)


def _source_text(text: str, source: _Source, new: str, ascii_only: bool) -> str:
    if "".join(json.loads(text[start:end]) for start, end in source.parts) == new:
        return text[source.start : source.end]  # unchanged: the bytes as they were
    if not source.is_list:
        return json.dumps(new, ensure_ascii=ascii_only)
    old_raw = [text[start:end] for start, end in source.parts]
    old = [json.loads(raw) for raw in old_raw]
    parts = _LINE.findall(new)
    if not source.parts:
        return "[" + ", ".join(json.dumps(p, ensure_ascii=ascii_only) for p in parts) + "]"
    lead = text[source.start + 1 : source.parts[0][0]]
    trail = text[source.parts[-1][1] : source.end - 1]
    separator = (
        text[source.parts[0][1] : source.parts[1][0]] if len(source.parts) > 1 else "," + lead
    )
    items: list[str] = []
    for op, a1, a2, b1, b2 in SequenceMatcher(None, old, parts, autojunk=False).get_opcodes():
        if op == "equal":
            items.extend(old_raw[a1:a2])
        else:
            items.extend(json.dumps(p, ensure_ascii=ascii_only) for p in parts[b1:b2])
    if not items:
        return "[]"
    return "[" + lead + separator.join(items) + trail + "]"
