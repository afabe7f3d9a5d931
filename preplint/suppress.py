"""`# preplint: ignore[...]` comments: found with tokenize, applied to diagnostics.

- `# preplint: ignore[CODE, CODE]` (or a bare `# preplint: ignore`) in a comment of a
  statement silences those codes on every line of that statement, so a comment on the
  closing line of a multi-line call counts. Alone on its own line, it silences them in the
  statement that starts on the next line.
- `# preplint: ignore-file[CODE]` (or bare) counts only in the file's leading comment block:
  comment lines before the first statement, where a shebang, an encoding line and the module
  docstring may come first. Elsewhere it does nothing and is reported, as with any directive
  that cannot be read (`ignore[`, `ignore: SAFE001`, `ignroe`).
- Codes are codes or prefixes (`SAFE`, `SAFE001`); `ALL` means every code. A code no rule
  has is reported by `Suppressions.problems`.
- Only real comments count: `"# preplint: ignore-file"` inside a string does nothing. A file
  that tokenize cannot read up to its last directive has no suppressions; tokens after the
  statement following the last directive are not read (they cannot change what it means).
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass

# A cheap test before tokenizing: most files have no directive at all.
_ANY_DIRECTIVE = re.compile(r"#[ \t]*preplint[ \t]*:", re.I)
_DIRECTIVE = re.compile(r"#\s*preplint\s*:", re.I)
_KIND = re.compile(r"\s*(?P<kind>[A-Za-z][\w-]*)(?P<open>\[)?")
_CODE = re.compile(r"[A-Z][A-Z0-9]*")
_CODE_WITHOUT_BRACKETS = re.compile(r"[A-Za-z]+[0-9]+\b")

Position = tuple[int, int, str]  # (line, column, code or message), 1-based


@dataclass(frozen=True)
class Suppressions:
    lines: dict[int, frozenset[str]]  # line → codes ('' means every code), spread over statements
    file: frozenset[str]  # codes ignored in the whole file ('' means every code)
    codes: tuple[Position, ...] = ()  # every code a directive names, where it is written
    invalid: tuple[Position, ...] = ()  # directives that do nothing, with the reason

    def hides(self, code: str, line: int) -> bool:
        if _matches(self.file, code):
            return True
        codes = self.lines.get(line)
        return codes is not None and _matches(codes, code)

    def problems(self, known: Callable[[str], bool] | None = None) -> list[Position]:
        """(line, column, message) for every directive that does nothing or names an unknown code.

        `known(code)` says whether a code or prefix names a rule (default: the rule registry).
        """
        if not self.codes and not self.invalid:
            return []
        if known is None:
            from preplint.config import known_code

            known = known_code
        out = list(self.invalid)
        for line, column, code in self.codes:
            if not known(code):
                out.append(
                    (
                        line,
                        column,
                        f"unknown code `{code}` in a `# preplint:` comment: it silences nothing",
                    )
                )
        return sorted(out)


NO_SUPPRESSIONS = Suppressions({}, frozenset())


def _matches(codes: frozenset[str], code: str) -> bool:
    return "" in codes or any(code.startswith(c) for c in codes)


@dataclass
class _Directive:
    file: bool  # ignore-file
    codes: frozenset[str]  # '' means every code


def _directives(
    comment: str, line: int, column: int, named: list[Position], invalid: list[Position]
) -> list[_Directive]:
    """The directives in one comment token (`# noqa  # preplint: ignore[SAFE001]` has one)."""
    out: list[_Directive] = []
    for found in _DIRECTIVE.finditer(comment):
        at = column + found.start() + 1
        rest = comment[found.end() :]
        head = _KIND.match(rest)
        kind = head.group("kind").lower() if head is not None else ""
        if head is None or kind not in ("ignore", "ignore-file"):
            word = head.group("kind") if head is not None else rest.strip()[:20]
            invalid.append(
                (
                    line,
                    at,
                    f"unknown `# preplint:` directive `{word}`: write `ignore[CODE]` or `ignore-file[CODE]`",
                )
            )
            continue
        after = rest[head.end() :]
        codes: frozenset[str] = frozenset({""})
        if head.group("open"):
            close = after.find("]")
            if close < 0:
                invalid.append((line, at, "`# preplint:` directive without a closing `]`"))
                continue
            inner = after[:close]
            offset = column + found.end() + head.end() + 1
            listed: list[str] = []
            for match in re.finditer(r"[^,\s]+", inner):
                code = match.group(0).upper()
                named.append((line, offset + match.start(), code))
                listed.append("" if code == "ALL" else code)
            if not listed:
                invalid.append((line, at, "`# preplint:` directive with an empty code list"))
                continue
            codes = frozenset(listed)
            after = after[close + 1 :]
        tail = after.lstrip()
        if tail.startswith((":", ",")) or _CODE_WITHOUT_BRACKETS.match(tail):
            invalid.append(
                (line, at, f"codes of a `# preplint: {kind}` go in brackets: `{kind}[CODE, CODE]`")
            )
            continue
        out.append(_Directive(kind == "ignore-file", codes))
    return out


def parse(source: str) -> Suppressions:
    starts = [found.start() for found in _ANY_DIRECTIVE.finditer(source)]
    if not starts:
        return NO_SUPPRESSIONS
    try:
        return _parse(source, source.count("\n", 0, starts[-1]) + 1)
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        return NO_SUPPRESSIONS


_SKIP = frozenset({tokenize.ENCODING, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER})


def _parse(source: str, last_line: int) -> Suppressions:
    """Tokens up to the statement after the last line with a directive: nothing later matters."""
    lines: dict[int, frozenset[str]] = {}
    file_codes: set[str] = set()
    named: list[Position] = []
    invalid: list[Position] = []
    alone: dict[int, frozenset[str]] = {}  # comment-only line → codes for the next statement
    leading = True  # no statement yet other than a module docstring
    first = True
    start: int | None = None  # first line of the open logical line
    only_strings = True
    pending: set[str] = set()  # codes of comments inside the open logical line

    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        kind = token.type
        if kind in _SKIP or kind == tokenize.NL:
            continue
        row, column = token.start
        if kind == tokenize.COMMENT:
            if "preplint" not in token.string.lower():
                continue
            for directive in _directives(token.string, row, column, named, invalid):
                if directive.file:
                    if start is None and leading:
                        file_codes |= directive.codes
                    else:
                        invalid.append(
                            (
                                row,
                                column + 1,
                                "`ignore-file` counts only in the file's leading comment block, before the first statement",
                            )
                        )
                elif start is None:
                    alone[row] = alone.get(row, frozenset()) | directive.codes
                    lines[row] = alone[row]
                else:
                    pending |= directive.codes
            continue
        if kind == tokenize.NEWLINE:
            if start is None:
                continue
            end = row
            codes = frozenset(pending) | alone.get(start - 1, frozenset())
            if codes:
                for number in range(start, end + 1):
                    lines[number] = lines.get(number, frozenset()) | codes
            if not (first and only_strings):
                leading = False
            first = False
            start = None
            only_strings = True
            pending = set()
            continue
        if start is None:
            if row > last_line + 1:
                break  # a statement after the last directive and the statement it may cover
            start = row
        if kind != tokenize.STRING:
            only_strings = False
    return Suppressions(lines, frozenset(file_codes), tuple(named), tuple(invalid))
