"""`# preplint: ignore[...]` comments: read from the source text, applied to diagnostics."""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMENT = re.compile(r"#\s*preplint:\s*(ignore-file|ignore)\b(?:\[([^\]]*)\])?", re.I)


@dataclass(frozen=True)
class Suppressions:
    lines: dict[int, frozenset[str]]  # line → codes ('' means every code)
    file: frozenset[str]  # codes ignored in the whole file ('' means every code)
    lines_alone: frozenset[int] = frozenset()  # comment-only lines: they also cover the line below

    def hides(self, code: str, line: int) -> bool:
        if _matches(self.file, code):
            return True
        for candidate in (line, line - 1):
            codes = self.lines.get(candidate)
            if codes is None or (candidate != line and candidate not in self.lines_alone):
                continue
            if _matches(codes, code):
                return True
        return False


def _matches(codes: frozenset[str], code: str) -> bool:
    return "" in codes or any(code.startswith(c) for c in codes)


def parse(source: str) -> Suppressions:
    if "preplint" not in source:
        return Suppressions({}, frozenset())
    lines: dict[int, frozenset[str]] = {}
    alone: set[int] = set()
    file_codes: set[str] = set()
    for number, text in enumerate(source.splitlines(), start=1):
        if "preplint" not in text:
            continue
        match = _COMMENT.search(text)
        if match is None:
            continue
        codes = (
            frozenset(c.strip().upper() for c in (match.group(2) or "").split(","))
            if match.group(2)
            else frozenset({""})
        )
        codes = frozenset(c for c in codes) or frozenset({""})
        if match.group(1).lower() == "ignore-file":
            file_codes |= codes
            continue
        lines[number] = codes
        if text.lstrip().startswith("#"):
            alone.add(number)
    return Suppressions(lines, frozenset(file_codes), frozenset(alone))
