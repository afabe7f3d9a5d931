"""Autofixes: apply the edits diagnostics carry, keep only results that parse, write them atomically."""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import re
import tempfile
import tokenize
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preplint.diagnostics import Diagnostic, Edit, Report
from preplint.notebook import (
    NotebookError,
    cell_list,
    cell_text,
    code_cells,
    load_notebook,
    replace_cells,
    split_lines,
    transform_cell,
)

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class FixOutcome:
    """What `apply_fixes` would change; nothing is written until `write_fixes`."""

    fixed: tuple[
        Diagnostic, ...
    ] = ()  # the very Diagnostic objects passed in, whose fix was applied
    new_sources: dict[str, str] = field(
        default_factory=dict
    )  # path → fixed text (a notebook: its JSON)
    diffs: dict[str, str] = field(default_factory=dict)  # path → unified diff
    failed: dict[str, str] = field(
        default_factory=dict
    )  # path → why none of its fixes were applied
    skipped: tuple[
        Diagnostic, ...
    ] = ()  # had a fix that was not applied (overlap, unsafe, failed file)
    encodings: dict[str, str] = field(
        default_factory=dict
    )  # path → codec to write new_sources with


@dataclass
class _FileResult:
    text: str
    fixed: list[Diagnostic]
    skipped: list[Diagnostic]


def apply_fixes(diagnostics: Sequence[Diagnostic], *, unsafe: bool = False) -> FixOutcome:
    """Apply the fixes of `diagnostics` to the files they point at, in memory."""
    by_path: dict[str, list[Diagnostic]] = {}
    skipped: list[Diagnostic] = []
    for d in diagnostics:
        if d.fix is None or not d.fix.edits:
            continue
        if d.fix.unsafe and not unsafe:
            skipped.append(d)
            continue
        by_path.setdefault(d.path, []).append(d)
    fixed: list[Diagnostic] = []
    new_sources: dict[str, str] = {}
    diffs: dict[str, str] = {}
    failed: dict[str, str] = {}
    encodings: dict[str, str] = {}
    for path in sorted(by_path):
        wanted = by_path[path]
        notebook = path.endswith(".ipynb") or any(d.cell is not None for d in wanted)
        try:
            if notebook:
                new_text, diff, encoding, result = _fix_notebook(path, wanted)
            else:
                new_text, diff, encoding, result = _fix_python(path, wanted)
        except _Unfixable as exc:
            failed[path] = str(exc)
            skipped.extend(wanted)
            continue
        skipped.extend(result.skipped)
        fixed.extend(result.fixed)
        if diff:  # fixes whose edits change nothing leave the file alone
            new_sources[path], diffs[path], encodings[path] = new_text, diff, encoding
    return FixOutcome(tuple(fixed), new_sources, diffs, failed, tuple(skipped), encodings)


def write_fixes(outcome: FixOutcome) -> None:
    """Write each fixed file through a temporary file and a rename, so a crash leaves no half file."""
    for path, text in sorted(outcome.new_sources.items()):
        _write_atomic(Path(path), text.encode(outcome.encodings.get(path, "utf-8")))


@dataclass(frozen=True)
class FixRun:
    """What `fix_until_stable` did: the findings left, and what could not be settled."""

    report: Report  # the findings of the last lint, after the last fixes were written
    fixed: int  # fixes applied, over all rounds
    failed: dict[str, str]  # path → why its fixes were not applied
    skipped: tuple[Diagnostic, ...]  # fixes left out in the last round (unsafe, overlapping)
    unstable: tuple[str, ...]  # paths that still changed when the rounds ran out


FIX_ROUNDS = 4


def fix_until_stable(
    report: Report, lint: Callable[[], Report], *, unsafe: bool = False, rounds: int = FIX_ROUNDS
) -> FixRun:
    """Apply fixes, lint again, and repeat until nothing changes: one `--fix` is all it takes.

    A fix can reveal or cause another finding (a fix anchored in the wrong place adds the same
    line on every run), so the result is checked by linting it. At most `rounds` rounds, and a
    file never gets a text it had before (a cycle): such files are reported as unstable.
    Every text written parses (see `apply_fixes`).
    """
    fixed = 0
    failed: dict[str, str] = {}
    history: dict[str, set[str]] = {}
    unstable: set[str] = set()
    skipped: tuple[Diagnostic, ...] = ()
    for _ in range(rounds):
        outcome = apply_fixes(report.diagnostics, unsafe=unsafe)
        failed.update(outcome.failed)
        skipped = outcome.skipped
        for path, text in list(outcome.new_sources.items()):
            before = history.setdefault(path, {_digest(_read(path))})
            if _digest(text.encode(outcome.encodings.get(path, "utf-8"))) in before:
                unstable.add(path)  # back to an earlier text: the fixes go round in a circle
                del outcome.new_sources[path]
        if not outcome.new_sources:
            break
        write_fixes(outcome)
        for path, text in outcome.new_sources.items():
            history[path].add(_digest(text.encode(outcome.encodings.get(path, "utf-8"))))
        changed = set(outcome.new_sources)
        fixed += sum(1 for d in outcome.fixed if d.path in changed)
        report = lint()
    else:
        pending = apply_fixes(report.diagnostics, unsafe=unsafe)
        unstable |= set(pending.new_sources)
    return FixRun(report, fixed, failed, skipped, tuple(sorted(unstable)))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Unfixable(Exception):
    """A file whose fixes cannot be applied at all; the message says why."""


# --- Python files ------------------------------------------------------------------------------


def _fix_python(path: str, diagnostics: list[Diagnostic]) -> tuple[str, str, str, _FileResult]:
    data = _read(path)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        original = data.decode(encoding)  # "utf-8-sig" drops a BOM here and writes it back later
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise _Unfixable(f"cannot decode: {exc}") from None
    result = _apply_to_text(original, [(d, d.fix.edits) for d in diagnostics if d.fix])
    if result.text != original:
        _check_parses(result.text)
        _check_encodes(result.text, encoding)
    return result.text, _diff(original, result.text, path, path), encoding, result


def _check_parses(text: str) -> None:
    import libcst as cst

    try:
        cst.parse_module(text)
    except Exception as exc:  # libcst raises ParserSyntaxError and a few others on odd input
        detail = " ".join(str(exc).split())[:200]
        raise _Unfixable(f"the fixed code would not parse ({detail}); left unchanged") from None


def _check_encodes(text: str, encoding: str) -> None:
    try:
        text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise _Unfixable(f"the fixed code cannot be written as {encoding}: {exc.reason}") from None


# --- notebooks: edits are relative to the diagnostic's code cell ---------------------------------


def _fix_notebook(path: str, diagnostics: list[Diagnostic]) -> tuple[str, str, str, _FileResult]:
    raw = _read(path)
    try:
        document = load_notebook(raw)
        cells = {cell.number: cell for cell in code_cells(document)}
    except NotebookError as exc:
        raise _Unfixable(f"cannot read notebook: {exc}") from None
    all_cells = cell_list(document)
    skipped: list[Diagnostic] = []
    by_cell: dict[int, list[tuple[Diagnostic, tuple[Edit, ...]]]] = {}
    for d in diagnostics:
        cell = cells.get(d.cell) if d.cell is not None else None
        if cell is None or d.fix is None or _touches(d.fix.edits, cell.rewritten):
            skipped.append(d)  # no cell to put it in, or it would rewrite an IPython line
            continue
        by_cell.setdefault(cell.number, []).append((d, d.fix.edits))
    fixed: list[Diagnostic] = []
    diffs: list[str] = []
    new_texts: dict[int, str] = {}
    for number in sorted(by_cell):
        original = cell_text(all_cells[number - 1])
        result = _apply_to_text(original, by_cell[number])
        skipped.extend(result.skipped)
        if result.text != original:
            new_texts[number] = result.text
            diffs.append(
                _diff(original, result.text, f"{path} (cell {number})", f"{path} (cell {number})")
            )
        fixed.extend(result.fixed)
    if not new_texts:
        return raw.decode("utf-8", "replace"), "", "utf-8", _FileResult("", fixed, skipped)
    _check_parses(_joined_python(cells, new_texts))
    try:
        text = replace_cells(raw, new_texts)
    except (NotebookError, UnicodeDecodeError) as exc:
        raise _Unfixable(f"cannot write notebook: {exc}") from None
    return text, "".join(diffs), "utf-8", _FileResult("", fixed, skipped)


def _touches(edits: Sequence[Edit], rewritten: frozenset[int]) -> bool:
    return any(line in rewritten for e in edits for line in range(e.line, e.end_line + 1))


def _joined_python(cells: dict[int, Any], new_texts: dict[int, str]) -> str:
    """The notebook's Python source with the fixed cells, as the linter will read it next time."""
    out: list[str] = []
    for number in sorted(cells):
        cell = cells[number]
        if number in new_texts:
            cell = transform_cell(split_lines(new_texts[number]), number)
            if cell.problem is not None and cells[number].problem is None:
                raise _Unfixable(f"cell {number} would not parse: {cell.problem.message}")
        out.extend(cell.python)
    return "".join(line + "\n" for line in out)


# --- edits on one text -----------------------------------------------------------------------


def _apply_to_text(text: str, fixes: list[tuple[Diagnostic, tuple[Edit, ...]]]) -> _FileResult:
    """Apply whole fixes in position order; a fix overlapping one already taken is skipped."""
    starts = _line_starts(text)
    newline = m.group(0) if (m := _NEWLINE.search(text)) else "\n"
    candidates: list[tuple[tuple[int, int], Diagnostic, list[tuple[int, int, str]]]] = []
    skipped: list[Diagnostic] = []
    for d, edits in fixes:
        ranges = [_to_range(text, starts, e, newline) for e in edits]
        if any(r is None for r in ranges):
            skipped.append(d)  # points outside the file: stale, or for another version of it
            continue
        spans = sorted(r for r in ranges if r is not None)
        candidates.append(((spans[0][0], spans[-1][1]), d, spans))
    candidates.sort(key=lambda c: (c[0], c[1].code))
    taken: list[tuple[int, int, str]] = []
    applied: set[tuple[tuple[int, int, str], ...]] = set()
    fixed: list[Diagnostic] = []
    for _, d, spans in candidates:
        key = tuple(spans)
        if key in applied:  # the same fix reported twice: applied once, both are fixed
            fixed.append(d)
        elif any(_overlaps(a, b) for a in spans for b in taken):
            skipped.append(d)
        else:
            taken.extend(spans)
            applied.add(key)
            fixed.append(d)
    new_text = text
    for start, end, replacement in sorted(taken, key=lambda s: (s[0], s[1]), reverse=True):
        new_text = new_text[:start] + replacement + new_text[end:]
    return _FileResult(new_text, fixed, skipped)


def _line_starts(text: str) -> list[int]:
    """Offset of each line's first character; one more entry for the position after the last line."""
    starts = [0]
    for match in _LINE.finditer(text):
        starts.append(match.end())
    if len(starts) > 1 and not _NEWLINE.search(text[starts[-1] - 1 : starts[-1]]):
        starts.pop()  # the last line has no newline: there is no line after it
    return starts


def _to_range(
    text: str, starts: list[int], edit: Edit, newline: str
) -> tuple[int, int, str] | None:
    start = _offset(text, starts, edit.line, edit.column)
    end = _offset(text, starts, edit.end_line, edit.end_column)
    if start is None or end is None or end < start:
        return None
    # Fixes are written with "\n"; the file keeps its own newline style.
    replacement = _NEWLINE.sub(newline, edit.replacement)
    return start, end, replacement


def _offset(text: str, starts: list[int], line: int, column: int) -> int | None:
    if line < 1 or line > len(starts) or column < 1:
        return None
    begin = starts[line - 1]
    end_of_line = starts[line] if line < len(starts) else len(text)
    content = text[begin:end_of_line].rstrip("\r\n")
    if column - 1 > len(content):
        return None
    return begin + column - 1


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    if a[0] == a[1] and b[0] == b[1]:
        return a[0] == b[0]  # two insertions at one point: their order would be a guess
    return a[0] < b[1] and b[0] < a[1]


# --- files -----------------------------------------------------------------------------------


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _Unfixable(f"cannot read: {exc.strerror or exc}") from None


def _diff(before: str, after: str, old_name: str, new_name: str) -> str:
    lines = difflib.unified_diff(
        _LINE.findall(before), _LINE.findall(after), f"a/{old_name}", f"b/{new_name}"
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in lines)


def _write_atomic(path: Path, payload: bytes) -> None:
    # Through a symlink to the file it names: replacing the link would leave the target unfixed.
    target = Path(os.path.realpath(path))
    mode = target.stat().st_mode & 0o7777 if target.exists() else None
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".preplint-tmp", dir=target.parent
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
