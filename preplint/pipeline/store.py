"""Facts kept outside the heap while a run goes on.

A run over thousands of files cannot hold every file's facts (a few hundred kilobytes of objects
each) at once. The store holds facts in memory up to a budget as files are extracted and pickles
the rest into a private temporary folder; the run keeps the small `FileSummary` of every file,
and the project index loads a file's facts when analysis asks for them (and lets them go again,
pickling them first if they were never written, see `ProjectIndex.settle`).
The folder is made by `tempfile.mkdtemp` (readable by this user only) and removed at the end of
the run; nothing in it is read by another run.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from preplint.facts.model import FileFacts
from preplint.facts.project import FileSummary, summarize
from preplint.pipeline.parsed import Parsed


class FactsStore:
    """Facts of a run's files: held in memory up to `budget` (as weighed by `weigh`) while
    the files are extracted, the rest pickled into the folder at once; held facts are pickled
    when the index lets them go (`save`). A run whose facts fit the budget writes nothing."""

    def __init__(
        self, budget: int | None = None, weigh: Callable[[FileFacts], int] | None = None
    ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="preplint-facts-"))
        self._names: dict[str, str] = {}
        self.summaries: dict[str, FileSummary] = {}
        # Facts kept in memory during extraction, for the index (`take_held`).
        self._held: list[FileFacts] = []
        self._budget = budget
        self._weigh = weigh
        self._weight = 0
        self._broken = False  # a write failed: hold everything from then on

    def put(self, parsed: Parsed, digest: str = "") -> Parsed:
        """Take `parsed`'s facts (held, or written here); return it without them."""
        if parsed.facts is None:
            return parsed
        facts = parsed.facts
        self.summaries[parsed.path] = summarize(facts, digest)
        weight = self._weigh(facts) if self._weigh is not None else 1
        fits = self._budget is not None and self._weight + weight <= self._budget
        if fits or not self.save(facts):
            self._held.append(facts)
            self._weight += weight
        return replace(parsed, facts=None)

    def take_held(self) -> list[FileFacts]:
        """The facts held in memory, in extraction order; the store forgets them."""
        held, self._held = self._held, []
        return held

    def save(self, facts: FileFacts) -> bool:
        """Write `facts` unless they are written already; False when they cannot be (the disk
        is full, the folder gone): the caller keeps them in memory, and after one failure the
        store writes nothing more. Each file is named after the writing process too (a forked
        worker knows only the names written before the fork), written aside and then renamed,
        so that no reader sees part of a file."""
        if facts.path in self._names:
            return True
        if self._broken:
            return False
        name = f"{os.getpid()}-{len(self._names)}.pickle"
        try:
            self._write(name, pickle.dumps(facts, pickle.HIGHEST_PROTOCOL))
        except OSError:
            self._broken = True
            return False
        self._names[facts.path] = name
        return True

    def _write(self, name: str, data: bytes) -> None:
        aside = self.folder / f"{name}.part"
        try:
            aside.write_bytes(data)
            os.replace(aside, self.folder / name)
        finally:
            aside.unlink(missing_ok=True)

    def holds(self, path: str) -> bool:
        return path in self._names

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
