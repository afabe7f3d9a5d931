"""Plain-value result types: Diagnostic, its parts, and the Report a run returns."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any


class Severity(enum.IntEnum):
    """Ordered so that `severity >= fail_on` decides the exit status."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r} (expected error, warning or info)"
            ) from None


# Each rule's documentation page; {code} is the rule code.
DOCS_URL = "https://github.com/preplint/preplint/blob/main/docs/rules/{code}.md"


@dataclass(frozen=True, order=True)
class Span:
    """1-based line and column; `end_column` is exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Related:
    path: str
    line: int
    column: int
    message: str
    cell: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }
        if self.cell is not None:
            out["cell"] = self.cell
        return out


@dataclass(frozen=True)
class Edit:
    line: int
    column: int
    end_line: int
    end_column: int
    replacement: str

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "replacement": self.replacement,
        }


@dataclass(frozen=True)
class Fix:
    description: str
    edits: tuple[Edit, ...]
    unsafe: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "applicability": self.applicability,
            "edits": [e.to_json() for e in self.edits],
        }

    @property
    def applicability(self) -> str:
        """`safe`: applied by --fix; `unsafe`: needs --unsafe-fixes too."""
        return "unsafe" if self.unsafe else "safe"


@dataclass(frozen=True)
class Confirmation:
    status: str  # "confirmed" | "refuted" | "inconclusive"
    probe: str
    evidence: str
    artifact: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "probe": self.probe,
            "evidence": self.evidence,
            "artifact": self.artifact,
        }


@dataclass(frozen=True)
class Diagnostic:
    """One finding. Holds no syntax node, so it pickles, caches and sorts as plain data."""

    code: str
    name: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    confirmation: Confirmation | None = None
    cell: int | None = None
    # The artifact path (as written, resolved from constants) the finding is about, for --confirm.
    artifact: str | None = field(default=None, compare=False)
    # From a rule, or a part of one, still in preview (shown only with --preview).
    preview: bool = False

    @property
    def sort_key(self) -> tuple[str, int, int, int, str, str]:
        return (self.path, self.cell or 0, self.line, self.column, self.code, self.message)

    def with_confirmation(self, confirmation: Confirmation) -> Diagnostic:
        return replace(self, confirmation=confirmation)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.label,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }
        if self.cell is not None:
            out["cell"] = self.cell
        if self.preview:
            out["preview"] = True
        out["related"] = [r.to_json() for r in self.related]
        out["fix"] = self.fix.to_json() if self.fix else None
        out["confirmation"] = self.confirmation.to_json() if self.confirmation else None
        return out


@dataclass(frozen=True)
class Report:
    """What one run found: sorted diagnostics plus the count of files read."""

    files: int
    diagnostics: tuple[Diagnostic, ...]
    # Paths that could not be linted at all (a symlink loop, an unreadable folder), one line each.
    notes: tuple[str, ...] = ()

    def by_severity(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for sev in sorted({d.severity for d in self.diagnostics}, reverse=True):
            counts[sev.label] = sum(1 for d in self.diagnostics if d.severity == sev)
        return counts

    def by_code(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for d in self.diagnostics:
            counts[d.code] = counts.get(d.code, 0) + 1
        return dict(sorted(counts.items()))
