"""Facts cache keyed by file content hash and preplint version (filled in by the cache work)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from preplint.engine import Parsed


class FactsCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, file: Path, shown: str) -> Parsed | None:
        return None

    def put(self, file: Path, parsed: Parsed) -> None:
        return None
