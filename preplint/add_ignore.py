"""`preplint check --add-ignore`: a `# preplint: ignore[CODE]` for every current finding.

Adopting preplint on an existing repository takes one commit: the comments silence what is
there today, and new code is checked in full. Only comments are added, at the end of a
line, so the code and its formatting stay as they were:

- on the finding's own line when a comment can go there, else on the last line of its
  statement (a comment on any line of a statement covers all of it, see `suppress`), never
  inside a multi-line string or after a line-continuing backslash;
- an existing `# preplint: ignore[...]` on that line is extended, not repeated;
- the result is checked before it is written: it still parses, and every finding is now
  silenced. A second run finds nothing left to silence and changes nothing.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from preplint.diagnostics import Diagnostic
from preplint.suppress import parse as parse_suppressions

# Findings about the file itself, not about code a comment could sit next to.
UNSUPPRESSIBLE = frozenset({"SYNTAX", "INTERNAL", "SUPPRESSION"})
_IGNORE_LIST = re.compile(r"#\s*preplint\s*:\s*ignore\[(?P<codes>[^\]]*)\]", re.I)
_BARE_IGNORE = re.compile(r"#\s*preplint\s*:\s*ignore(?![\[\w-])", re.I)


@dataclass
class AddedIgnores:
    comments: int = 0  # findings newly silenced
    changed: list[str] = field(default_factory=list)  # files written
    failed: dict[str, str] = field(default_factory=dict)  # file → why nothing was added


def add_ignores(diagnostics: Iterable[Diagnostic]) -> AddedIgnores:
    result = AddedIgnores()
    by_path: dict[str, list[Diagnostic]] = {}
    broken: set[str] = set()
    for d in diagnostics:
        if d.code == "SYNTAX":
            broken.add(d.path)
        if d.code not in UNSUPPRESSIBLE:
            by_path.setdefault(d.path, []).append(d)
    for path in sorted(by_path):
        found = by_path[path]
        if path in broken:
            result.failed[path] = "the file does not parse"
            continue
        if path.endswith(".ipynb") or any(d.cell is not None for d in found):
            result.failed[path] = (
                "notebooks are not edited; add `# preplint: ignore[CODE]` in the cell by hand"
            )
            continue
        try:
            count = _add_to_file(Path(path), found)
        except _NotAdded as exc:
            result.failed[path] = str(exc)
            continue
        if count:
            result.comments += count
            result.changed.append(path)
    return result


class _NotAdded(Exception):
    pass


def _add_to_file(path: Path, found: list[Diagnostic]) -> int:
    try:
        data = path.read_bytes()
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise _NotAdded(f"cannot read: {exc}") from None
    new_text, count = with_ignores(text, found)
    if new_text == text:
        return 0
    try:
        path.write_bytes(new_text.encode(encoding))
    except (OSError, UnicodeEncodeError) as exc:
        raise _NotAdded(f"cannot write: {exc}") from None
    return count


def with_ignores(text: str, found: list[Diagnostic]) -> tuple[str, int]:
    """`text` with ignore comments for `found`, and how many findings they newly silence."""
    before = parse_suppressions(text)
    todo = [d for d in found if not before.hides(d.code, d.line)]
    if not todo:
        return text, 0
    try:
        places = _comment_places(text)
    except (tokenize.TokenError, SyntaxError, IndentationError) as exc:
        raise _NotAdded(f"cannot tokenize: {exc}") from None
    lines = text.splitlines(keepends=True)
    wanted: dict[int, list[str]] = {}
    for d in todo:
        row = places.line_for(d.line)
        codes = wanted.setdefault(row, [])
        if d.code not in codes:
            codes.append(d.code)
    for row, codes in wanted.items():
        if not 1 <= row <= len(lines):
            continue
        lines[row - 1] = _with_codes(lines[row - 1], sorted(codes), places.comments.get(row))
    new_text = "".join(lines)
    after = parse_suppressions(new_text)
    missed = [d for d in todo if not after.hides(d.code, d.line)]
    if missed:
        d = missed[0]
        raise _NotAdded(f"no place for a comment that silences {d.code} at line {d.line}")
    try:
        compile(new_text, "<add-ignore>", "exec", dont_inherit=True, flags=1024)  # AST only
    except SyntaxError as exc:  # pragma: no cover - only comments were added
        raise _NotAdded(f"the result would not parse ({exc.msg}); left unchanged") from None
    return new_text, len(todo)


def _with_codes(line: str, codes: list[str], comment_at: int | None) -> str:
    """`line` with `codes` in its preplint comment; only the real comment (from column
    `comment_at`) is read, never text in a string that looks like one."""
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    start = comment_at if comment_at is not None else len(body)
    listed = _IGNORE_LIST.search(body, start)
    if listed is not None:
        present = [c.strip().upper() for c in listed.group("codes").split(",") if c.strip()]
        extra = [c for c in codes if c not in present]
        if not extra:
            return line
        inner = ", ".join([*present, *extra])
        body = body[: listed.start("codes")] + inner + body[listed.end("codes") :]
        return body + ending
    if _BARE_IGNORE.search(body, start):
        return line
    comment = f"# preplint: ignore[{', '.join(codes)}]"
    if body.strip():
        body = body.rstrip() + "  " + comment
    else:
        body = body + comment
    return body + ending


@dataclass
class _Places:
    """Where a comment may go: lines whose end is outside any string or continuation."""

    ends: set[int]  # lines that end with a NEWLINE/NL token or a comment
    comments: dict[int, int]  # line → column where its comment starts
    statement_end: dict[int, int]  # line → last line of the logical line holding it

    def line_for(self, line: int) -> int:
        if line in self.ends:
            return line
        return self.statement_end.get(line, line)


def _comment_places(text: str) -> _Places:
    ends: set[int] = set()
    comments: dict[int, int] = {}
    statement_end: dict[int, int] = {}
    start: int | None = None
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        kind = token.type
        if kind in (tokenize.NL, tokenize.COMMENT):
            ends.add(token.start[0])
            if kind == tokenize.COMMENT:
                comments[token.start[0]] = token.start[1]
            continue
        if kind == tokenize.NEWLINE:
            ends.add(token.start[0])
            if start is not None:
                for number in range(start, token.start[0] + 1):
                    statement_end[number] = token.start[0]
            start = None
            continue
        if kind in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER):
            continue
        if start is None:
            start = token.start[0]
    return _Places(ends, comments, statement_end)
