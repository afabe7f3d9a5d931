"""Shared test helpers: lint snippets and read `# expect: CODE` markers."""

from __future__ import annotations

import re
import textwrap

from preplint.diagnostics import Diagnostic
from preplint.engine import lint_sources

EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9 ,]+)")


def as_project(example: str | dict[str, str]) -> dict[str, str]:
    if isinstance(example, str):
        return {"example.py": textwrap.dedent(example).lstrip("\n")}
    return {path: textwrap.dedent(src).lstrip("\n") for path, src in example.items()}


def expected_lines(sources: dict[str, str], code: str) -> set[tuple[str, int]]:
    out: set[tuple[str, int]] = set()
    for path, src in sources.items():
        for number, line in enumerate(src.splitlines(), start=1):
            match = EXPECT.search(line)
            if match and code in {c.strip() for c in match.group(1).split(",")}:
                out.add((path, number))
    return out


def lint(example: str | dict[str, str]) -> list[Diagnostic]:
    return list(lint_sources(as_project(example)).diagnostics)
