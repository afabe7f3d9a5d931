"""Facts kept outside the heap while a run goes on.

A run over thousands of files cannot hold every file's facts (a few hundred kilobytes of objects
each) at once. The store pickles each file's facts into a private temporary folder as the file is
extracted; the run keeps only the small `FileSummary` of each, and the project index loads a
file's facts when analysis asks for them (and lets them go again, see `ProjectIndex.settle`).
The folder is made by `tempfile.mkdtemp` (readable by this user only) and removed at the end of
the run; nothing in it is read by another run.
"""

from __future__ import annotations

import pickle
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from preplint.facts.model import FileFacts
from preplint.facts.project import FileSummary, summarize
from preplint.pipeline.parsed import Parsed


class FactsStore:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="preplint-facts-"))
        self._names: dict[str, str] = {}
        self._sizes: dict[str, int] = {}
        self.summaries: dict[str, FileSummary] = {}

    def put(self, parsed: Parsed, digest: str = "") -> Parsed:
        """Keep `parsed`'s facts here; return it without them (what the run holds on to)."""
        if parsed.facts is None:
            return parsed
        name = f"{len(self._names)}.pickle"
        data = pickle.dumps(parsed.facts, pickle.HIGHEST_PROTOCOL)
        (self.folder / name).write_bytes(data)
        self._names[parsed.path] = name
        self._sizes[parsed.path] = len(data)
        self.summaries[parsed.path] = summarize(parsed.facts, digest)
        return replace(parsed, facts=None)

    def holds(self, path: str) -> bool:
        return path in self._names

    def size(self, path: str) -> int:
        """Bytes of a file's pickled facts: in proportion to what they take once loaded (about
        five times as much)."""
        return self._sizes.get(path, 0)

    def load(self, path: str) -> FileFacts | None:
        name = self._names.get(path)
        if name is None:
            return None
        facts = pickle.loads((self.folder / name).read_bytes())  # noqa: S301 - written by this run
        return facts if isinstance(facts, FileFacts) else None

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> FactsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
