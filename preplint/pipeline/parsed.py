"""`Parsed`: the per-file result of the extract stage, shared by the engine and the caches."""

from __future__ import annotations

from dataclasses import dataclass

from preplint.diagnostics import Diagnostic
from preplint.facts.model import FileFacts
from preplint.suppress import Suppressions


@dataclass(frozen=True)
class Parsed:
    """The per-file result of the extract stage (what crosses the process boundary)."""

    path: str
    facts: FileFacts | None  # None: skipped by the prefilter, or unreadable
    suppressions: Suppressions
    problem: Diagnostic | None = None  # SYNTAX or INTERNAL for this file
