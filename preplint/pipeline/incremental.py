"""Re-linting after an edit: redo only what the edit can reach.

Each run with a cache leaves, per file, a `FileRecord`: the file's summary (what the project
index knows of it without its facts), its contribution to the project-wide answers, and, for a
linted file, its findings. Each of the last two is kept with its `Deps`, the flattened set of
everything the analysis behind it used (see `preplint.facts.project`):

- the content digest of every file whose facts it read, following what those files' own
  analysis used in turn (the closure over the run's recorded uses);
- every name lookup and its answer (`module("config")` → `src/config.py`), asked again of the
  new index: a new file that takes over a module name changes the answer;
- every project-wide answer it read (the savers of `model.keras`, the call sites of
  `train()`), with a digest of the answer, evaluated again on the new run's contributions;
- whether it looked at every file (then any change anywhere counts).

A later run reads every file's bytes (it has to: that is how it knows what changed), extracts
only the files whose content changed, takes every other file's summary and contribution from its
record while its deps still hold, and runs the rules only on the linted files whose findings'
deps no longer hold. Facts of unchanged files are loaded from the facts cache only when the
rules of a re-linted file ask for them.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preplint.analysis.context import project_context
from preplint.analysis.project_wide import assembled, evaluate, known_key
from preplint.analysis.records import ArtifactEvent, Contribution
from preplint.cache import content_digest
from preplint.diagnostics import Diagnostic, Report
from preplint.facts.project import FileSummary, ProjectIndex, Uses, summarize

if TYPE_CHECKING:
    from preplint.analysis.context import ProjectContext
    from preplint.cache import FactsCache
    from preplint.config import Config
    from preplint.facts.model import FileFacts
    from preplint.pipeline.parsed import Parsed
    from preplint.rules import Rule


@dataclass(frozen=True)
class Deps:
    """What one answer (a contribution, a file's findings) used, flattened."""

    files: tuple[tuple[str, str], ...]  # (display path, content digest)
    lookups: tuple[tuple[tuple[str, ...], str | None], ...]  # lookup → its answer
    reads: tuple[tuple[tuple[object, ...], str], ...]  # project-wide question → answer digest
    everything: str  # "" or the digest of every file of the run (then any change counts)


@dataclass(frozen=True)
class FileRecord:
    path: str
    digest: str  # of the file's content
    summary: FileSummary | None  # None: not in the index (did not parse, or skipped)
    contribution: Contribution | None
    contribution_deps: Deps | None
    findings: tuple[Diagnostic, ...] | None  # None: not linted when recorded
    findings_deps: Deps | None


@dataclass(frozen=True)
class StoredDeps:
    """`Deps` on disk: positions in the state's tables (each entry is stored once)."""

    files: tuple[int, ...]
    lookups: tuple[int, ...]
    reads: tuple[int, ...]
    everything: str


@dataclass(frozen=True)
class StoredRecord:
    path: str
    digest: str
    summary: FileSummary | None
    contribution: Contribution | None
    contribution_deps: StoredDeps | None
    findings: tuple[Diagnostic, ...] | None
    findings_deps: StoredDeps | None


@dataclass(frozen=True)
class State:
    files: tuple[tuple[str, str], ...]
    lookups: tuple[tuple[tuple[str, ...], str | None], ...]
    reads: tuple[tuple[tuple[object, ...], str], ...]
    records: tuple[StoredRecord, ...]


def state_classes() -> dict[str, type]:
    return {
        c.__name__: c
        for c in (State, StoredRecord, StoredDeps, FileSummary, Contribution, ArtifactEvent)
    }


def to_state(records: Sequence[FileRecord]) -> State:
    files: dict[tuple[str, str], int] = {}
    lookups: dict[tuple[tuple[str, ...], str | None], int] = {}
    reads: dict[tuple[tuple[object, ...], str], int] = {}

    def stored(deps: Deps | None) -> StoredDeps | None:
        if deps is None:
            return None
        return StoredDeps(
            tuple(files.setdefault(e, len(files)) for e in deps.files),
            tuple(lookups.setdefault(e, len(lookups)) for e in deps.lookups),
            tuple(reads.setdefault(e, len(reads)) for e in deps.reads),
            deps.everything,
        )

    out = tuple(
        StoredRecord(
            r.path,
            r.digest,
            r.summary,
            r.contribution,
            stored(r.contribution_deps),
            r.findings,
            stored(r.findings_deps),
        )
        for r in records
    )
    return State(tuple(files), tuple(lookups), tuple(reads), out)


def from_state(state: object) -> dict[str, FileRecord]:
    """The records of a stored state; {} when it does not hold together."""
    if not isinstance(state, State):
        return {}
    tables = state

    def deps(d: StoredDeps | None) -> Deps | None:
        if d is None:
            return None
        return Deps(
            tuple(tables.files[i] for i in d.files),
            tuple(tables.lookups[i] for i in d.lookups),
            tuple(tables.reads[i] for i in d.reads),
            d.everything,
        )

    try:
        return {
            r.path: FileRecord(
                r.path,
                r.digest,
                r.summary,
                r.contribution,
                deps(r.contribution_deps),
                r.findings,
                deps(r.findings_deps),
            )
            for r in state.records
        }
    except IndexError:
        return {}


def project_digest(summaries: Sequence[FileSummary]) -> str:
    h = hashlib.sha256()
    for s in summaries:
        h.update(f"{s.path}\0{s.digest}\0".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


# --- validating a record -----------------------------------------------------------------------


class Checker:
    """Answers 'do these deps still hold?' for the run being made."""

    def __init__(self, index: ProjectIndex, digests: dict[str, str]) -> None:
        self.index = index
        self.digests = digests
        self.everything = project_digest(index.summaries)
        self._answers: dict[tuple[str, ...], str | None] = {}
        self._reads: dict[tuple[object, ...], str] = {}

    def structural(self, deps: Deps) -> bool:
        """Files, lookups and the everything flag (not project-wide answers)."""
        if deps.everything and deps.everything != self.everything:
            return False
        for path, digest in deps.files:
            if self.digests.get(path) != digest:
                return False
        for lookup, answer in deps.lookups:
            now = self._answers.get(lookup, "\0unset")
            if now == "\0unset":
                now = self._answers[lookup] = self.index.answer(lookup)
            if now != answer:
                return False
        return True

    def why(
        self,
        path: str,
        record: FileRecord | None,
        fresh: dict[str, Parsed],
        project: ProjectContext,
    ) -> str:
        """Why a file's findings must be made again (PREPLINT_EXPLAIN_RERUNS=1 prints it)."""
        from preplint.analysis.context import digest

        if path in fresh:
            return "changed" if record is not None else "new"
        if record is None or record.findings is None or record.findings_deps is None:
            return "no record"
        deps = record.findings_deps
        if deps.everything and deps.everything != self.everything:
            return "reads every file"
        for file, value in deps.files:
            if self.digests.get(file) != value:
                return f"uses {file}"
        for lookup, answer in deps.lookups:
            if self.index.answer(lookup) != answer:
                return f"lookup {lookup!r}"
        for key, value in deps.reads:
            if not known_key(key) or digest(evaluate(project, key)) != value:
                return f"read {key!r}"[:200]
        return "?"

    def reads(self, deps: Deps, project: ProjectContext) -> bool:
        from preplint.analysis.context import digest

        for key, value in deps.reads:
            if not known_key(key):  # from another version, or a damaged state (maybe unhashable)
                return False
            now = self._reads.get(key)
            if now is None:
                now = self._reads[key] = digest(evaluate(project, key))
            if now != value:
                return False
        return True


# --- recording a run ---------------------------------------------------------------------------


def flatten(
    start: str,
    uses: dict[str, Uses],
    digests: dict[str, str],
    inherited: dict[str, Deps],
    everything: str,
) -> Deps:
    """Everything `start` used: the closure over the files whose facts were read, with what
    their own analysis used (this run's uses, and the deps of answers taken from records)."""
    seen: set[str] = set()
    todo = [start, ""]
    files: dict[str, str] = {}
    lookups: dict[tuple[str, ...], str | None] = {}
    reads: dict[tuple[object, ...], str] = {}
    all_files = False
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        if path:
            files[path] = digests.get(path, "-")
        u = uses.get(path)
        if u is not None:
            todo.extend(u.files)
            lookups.update(u.lookups)
            reads.update(u.reads)
            all_files = all_files or u.everything
        old = inherited.get(path)
        if old is not None:
            files.update(old.files)
            lookups.update(old.lookups)
            reads.update(old.reads)
            all_files = all_files or bool(old.everything)
    return Deps(
        tuple(sorted(files.items())),
        tuple(sorted(lookups.items(), key=lambda kv: kv[0])),
        tuple(sorted(reads.items(), key=lambda kv: repr(kv[0]))),
        everything if all_files else "",
    )


@dataclass
class Plan:
    """What a cached run can take from the records, and what it must redo."""

    index: ProjectIndex
    digests: dict[str, str]
    records: dict[str, FileRecord]
    reused_findings: dict[str, tuple[Diagnostic, ...]]  # linted files whose findings hold
    rerun: list[str]  # linted files (display paths) whose rules must run
    contribution_deps: dict[str, Deps]  # contributions taken from records, with their deps


def plan(
    order: Sequence[str],
    targets: Sequence[str],
    digests: dict[str, str],
    records: dict[str, FileRecord],
    fresh: dict[str, Parsed],
    load: Callable[[str], FileFacts | None],
    dependency_files: dict[str, str],
) -> Plan:
    """Build the run's index from records and fresh extractions, and sort the linted files
    into those whose findings still hold and those to re-lint."""
    summaries: list[FileSummary] = []
    loaded: list[FileFacts] = []
    for path in order:
        item = fresh.get(path)
        if item is not None:
            if item.facts is not None:
                summaries.append(summarize(item.facts, digests[path]))
                loaded.append(item.facts)
            continue
        old = records[path]
        if old.summary is not None:
            summaries.append(old.summary)
    index = ProjectIndex(loaded, dependency_files, summaries=summaries, load=load)
    checker = Checker(index, digests)
    project = project_context(index)
    kept: dict[str, Deps] = {}
    for s in summaries:
        record = records.get(s.path)
        if (
            s.path not in fresh
            and record is not None
            and record.contribution is not None
            and record.contribution_deps is not None
            and not record.contribution_deps.reads
            and checker.structural(record.contribution_deps)
        ):
            project.contributions[s.path] = record.contribution
            kept[s.path] = record.contribution_deps
    # The contributions of changed files (and of those whose deps broke) are computed here.
    assembled(index)
    reused: dict[str, tuple[Diagnostic, ...]] = {}
    rerun: list[str] = []
    for path in targets:
        record = records.get(path)
        if (
            path not in fresh
            and record is not None
            and record.summary is None
            and record.findings is not None
        ):
            reused[path] = record.findings  # not in the index: its findings are its own
        elif (
            path not in fresh
            and record is not None
            and record.findings is not None
            and record.findings_deps is not None
            and checker.structural(record.findings_deps)
            and checker.reads(record.findings_deps, project)
        ):
            reused[path] = record.findings
        else:
            rerun.append(path)
            if os.environ.get("PREPLINT_EXPLAIN_RERUNS"):
                print(
                    f"re-lint {path}: {checker.why(path, record, fresh, project)}", file=sys.stderr
                )
    return Plan(index, digests, records, reused, rerun, kept)


def records_after(
    plan_or_index: Plan | ProjectIndex,
    order: Sequence[str],
    digests: dict[str, str],
    contribution_uses: dict[str, Uses],
    rule_uses: dict[str, Uses],
    findings: dict[str, tuple[Diagnostic, ...]],
    unindexed: dict[str, tuple[Diagnostic, ...] | None],
) -> list[FileRecord]:
    """The records this run leaves: one per file of the run.

    `findings` holds the findings of linted files whose rules ran (and of those reused from
    records); `unindexed` the files outside the index (did not parse or skipped) with their
    findings (None when not linted)."""
    if isinstance(plan_or_index, Plan):
        index, kept, old = (
            plan_or_index.index,
            plan_or_index.contribution_deps,
            plan_or_index.records,
        )
    else:
        index, kept, old = plan_or_index, {}, {}
    project = project_context(index)
    everything = project_digest(index.summaries)
    both: dict[str, Uses] = {}
    for table in (contribution_uses, rule_uses):
        for path, u in table.items():
            both.setdefault(path, Uses()).merge(u)
    summary_of = {s.path: s for s in index.summaries}
    out: list[FileRecord] = []
    for path in order:
        digest = digests.get(path, "")
        if path in unindexed:
            out.append(FileRecord(path, digest, None, None, None, unindexed[path], None))
            continue
        summary = summary_of.get(path)
        if summary is None:
            continue
        contribution = project.contributions.get(path)
        if path in kept:
            contribution_deps: Deps | None = kept[path]
        elif contribution is not None:
            contribution_deps = flatten(path, contribution_uses, digests, kept, everything)
        else:
            contribution_deps = None
        found = findings.get(path)
        findings_deps: Deps | None = None
        if found is not None:
            record = old.get(path)
            if (
                isinstance(plan_or_index, Plan)
                and path in plan_or_index.reused_findings
                and record is not None
            ):
                findings_deps = record.findings_deps
            else:
                findings_deps = flatten(path, both, digests, kept, everything)
        out.append(
            FileRecord(
                path,
                digest,
                summary,
                contribution,
                contribution_deps,
                found,
                findings_deps,
            )
        )
    return out


def state_key(parts: Sequence[str]) -> str:
    h = hashlib.sha256(b"preplint incremental\0")
    for part in parts:
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()


class Loader:
    """Facts of unchanged files, from the facts cache (extracted again if the entry is gone).

    Each file is loaded once per run, so the index and the rules share one facts object."""

    def __init__(self, files: dict[str, Path], cache: Any) -> None:
        self.files = files
        self.cache = cache
        self._parsed: dict[str, Parsed] = {}

    def parsed(self, path: str) -> Parsed:
        found = self._parsed.get(path)
        if found is None:
            file = self.files[path]
            found = self.cache.get(file, path) if self.cache is not None else None
            if found is None:
                from preplint.pipeline.extraction import extract_file

                found = extract_file(file, path)
            self._parsed[path] = found
        return found

    def __call__(self, path: str) -> FileFacts | None:
        if path not in self.files:
            return None
        return self.parsed(path).facts


def lint_incremental(
    pairs: Sequence[tuple[Path, str]],
    contents: dict[str, bytes],
    config: Config,
    rules: Sequence[Rule],
    cache: FactsCache,
    *,
    jobs: int,
    dependency_files: dict[str, str],
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """A cached run over `pairs` (file, display path): only the files an edit can reach are
    linted again. `contents` holds every file's bytes as read for this run."""
    from preplint import __version__
    from preplint.cache import code_stamp
    from preplint.pipeline.extraction import extract_all
    from preplint.pipeline.rules_phase import dedupe, rules_over

    digests = {shown: content_digest(contents[shown]) for _, shown in pairs}
    key = state_key(
        [
            __version__,
            code_stamp(),
            repr(config),
            os.getcwd(),
            " ".join(r.code for r in rules),
            *(f"{path}\0{text}" for path, text in sorted(dependency_files.items())),
        ]
    )
    records = from_state(cache.get_state(key, state_classes()))
    order = [shown for _, shown in pairs]
    files = {shown: file for file, shown in pairs}
    todo = [
        (file, shown)
        for file, shown in pairs
        if shown not in records or records[shown].digest != digests[shown]
    ]
    fresh = {
        p.path: p
        for p in extract_all(
            todo,
            jobs=jobs,
            cache=cache,
            progress=(lambda done: progress(done, len(todo))) if progress else None,
        )
    }
    load = Loader(files, cache)
    made = plan(order, order, digests, records, fresh, load, dependency_files)
    index = made.index
    contribution_uses = index.take_uses()
    work = [fresh[path] if path in fresh else load.parsed(path) for path in made.rerun]
    per_file = rules_over(work, index, rules, jobs, config)
    rule_uses = index.take_uses()
    findings: dict[str, tuple[Diagnostic, ...]] = dict(made.reused_findings)
    failed: set[str] = set()
    for item, kept in zip(work, per_file, strict=False):
        findings[item.path] = tuple(kept)
        if any(d.code == "INTERNAL" for d in kept):
            failed.add(item.path)  # not recorded: the next run tries again
    indexed = {s.path for s in index.summaries}
    records_out = records_after(
        made,
        order,
        digests,
        contribution_uses,
        rule_uses,
        {path: f for path, f in findings.items() if path not in failed},
        {
            path: (None if path in failed else findings.get(path))
            for path in order
            if path not in indexed
        },
    )
    cache.put_state(key, to_state(records_out))
    every = [d for path in order for d in findings.get(path, ())]
    every.sort(key=lambda d: d.sort_key)
    return Report(files=len(order), diagnostics=tuple(dedupe(every)))
