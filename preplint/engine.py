"""discover → extract (process pool, cache) → index → rules → suppress/select → sorted Report.

The stages live in `preplint.pipeline`; this module runs them in order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from preplint.cache import FactsCache, Reads
from preplint.config import Config
from preplint.diagnostics import Report
from preplint.facts.project import ProjectIndex
from preplint.pipeline.dependencies import dependency_files, is_dependency_file, project_root
from preplint.pipeline.extraction import (
    default_jobs,
    extract_all,
    extract_bytes,
    extract_source,
    nesting_problem,
)
from preplint.pipeline.parsed import Parsed
from preplint.pipeline.partners import (
    PARTNER_SEARCH_MAX_FILES,
    find_partners,
    neighbourhood_listing,
)
from preplint.pipeline.paths import display_path
from preplint.pipeline.rules_phase import (
    dedupe,
    rules_over,
    run_rules,
)
from preplint.rules import Rule, all_rules

# Names other code has long imported from here; each lives in its stage's module.
__all__ = [
    "BufferLint",
    "PROGRESS",
    "Parsed",
    "ReadOnlyCache",
    "display_path",
    "extract_source",
    "is_dependency_file",
    "lint_parsed",
    "lint_paths",
    "lint_project",
    "lint_sources",
    "lint_text",
    "nesting_problem",
    "run_rules",
]


def selected_rules(config: Config) -> list[Rule]:
    return [
        r for r in all_rules() if config.selects(r.code) and (config.previews() or not r.preview)
    ]


def lint_parsed(
    parsed: Sequence[Parsed],
    config: Config,
    *,
    targets: set[str] | None = None,
    dependency_files: dict[str, str] | None = None,
    jobs: int = 1,
) -> Report:
    """Rules over extracted files; only files in `targets` (display paths) are reported."""
    rules = selected_rules(config)
    facts_list = [p.facts for p in parsed if p.facts is not None]
    index = ProjectIndex(facts_list, dependency_files)
    index.recording = False  # nothing keeps the uses of this run
    work = [item for item in parsed if targets is None or item.path in targets]
    diagnostics = [d for found in rules_over(work, index, rules, jobs, config) for d in found]
    diagnostics.sort(key=lambda d: d.sort_key)
    return Report(files=len(work), diagnostics=tuple(dedupe(diagnostics)))


def lint_paths(
    paths: Sequence[str], config: Config, *, jobs: int | None = None, cache: object | None = None
) -> Report:
    from preplint.discovery import discover

    notes: list[str] = []
    files = discover(list(paths), config, notes)
    pairs = [(f, display_path(f)) for f in files]
    jobs = jobs or default_jobs()
    parsed = extract_all(pairs, jobs=jobs, cache=cache)
    return replace(lint_parsed(parsed, config, jobs=jobs), notes=tuple(notes))


def lint_sources(sources: dict[str, str], config: Config | None = None) -> Report:
    """Lint in-memory files ({path: source}) as one project: for tests and editors."""
    parsed = [
        extract_source(src, path) for path, src in sorted(sources.items()) if path.endswith(".py")
    ]
    from preplint.facts.deps import with_includes

    deps = {path: src for path, src in sorted(sources.items()) if is_dependency_file(path)}
    deps = with_includes(deps, lambda ref: (ref, sources[ref]) if ref in sources else None)
    return lint_parsed(parsed, config or Config(), dependency_files=deps)


# --- whole projects: what the command line runs ------------------------------------------------

# Set by the command line: called with (files done, files to lint) while a run extracts facts.
PROGRESS: Callable[[int, int], None] | None = None


def lint_project(
    paths: Sequence[str], config: Config, *, jobs: int | None = None, cache: object | None = None
) -> Report:
    """Lint `paths`; when they are a few single files, their neighbours still feed the index."""
    import gc

    # Parsing and unpickling build millions of acyclic objects; the cyclic collector would
    # rescan them again and again (measured: 8x slower unpickling of worker results).
    # Forked workers inherit the setting.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _lint_project(paths, config, jobs=jobs, cache=cache)
    finally:
        if enabled:
            gc.enable()


def _lint_project(
    paths: Sequence[str], config: Config, *, jobs: int | None, cache: object | None
) -> Report:
    from preplint.cache import FactsCache
    from preplint.discovery import discover

    jobs = jobs or default_jobs()
    notes: list[str] = []
    files = discover(list(paths), config, notes)
    pairs = [(f, display_path(f)) for f in files]
    root = project_root(paths, config)
    deps = dependency_files(root, [shown for _, shown in pairs])
    explicit = [p for p in paths if Path(p).is_file()]
    search_partners = bool(explicit) and len(explicit) <= PARTNER_SEARCH_MAX_FILES
    run_key = None
    if isinstance(cache, FactsCache):
        # A run whose files, config and dependency files are all unchanged: the same report.
        contents = [(shown, _read(file)) for file, shown in pairs]
        contents += [(path, text.encode("utf-8", "surrogateescape")) for path, text in deps.items()]
        parts = [repr(config), os.getcwd(), *paths]
        if search_partners:
            parts += neighbourhood_listing(files)
        run_key = cache.run_key(parts, contents)
        hit = cache.get_report(run_key)
        if hit is not None:
            return replace(hit, notes=tuple(notes))
    report_progress = PROGRESS
    if isinstance(cache, FactsCache) and not search_partners:
        # Many files: the per-file records of the last run say which need their rules again.
        from preplint.pipeline.incremental import lint_incremental

        report = lint_incremental(
            pairs,
            dict(contents),
            config,
            selected_rules(config),
            cache,
            jobs=jobs,
            dependency_files=deps,
            progress=report_progress,
        )
        report = replace(report, notes=tuple(notes))
        if run_key is not None and not any(d.code == "INTERNAL" for d in report.diagnostics):
            cache.put_report(run_key, report, [])
        return report
    if not search_partners:
        report = _lint_many(pairs, config, jobs, deps)
        return replace(report, notes=tuple(notes))
    parsed = extract_all(
        pairs,
        jobs=jobs,
        cache=cache,
        progress=(lambda done: report_progress(done, len(pairs))) if report_progress else None,
    )
    targets = {shown for _, shown in pairs}
    reads = Reads()
    extra = find_partners(parsed, config, jobs, cache, reads) if search_partners else []
    report = lint_parsed(
        [*parsed, *extra], config, targets=targets, dependency_files=deps, jobs=jobs
    )
    report = replace(report, notes=tuple(notes))
    if (
        run_key is not None
        and isinstance(cache, FactsCache)
        and not any(d.code == "INTERNAL" for d in report.diagnostics)
    ):
        cache.put_report(run_key, report, sorted(reads.seen.items()))
    return report


# What a run over many files holds of loaded facts at once by default, in bytes as estimated by
# `estimated_size`: projects of several hundred files fit whole, and nothing is written to disk.
FACTS_BUDGET = 200_000_000


def _keep_loaded() -> tuple[int, bool] | None:
    """How much loaded facts a run over many files may hold: (bytes, True) by default;
    PREPLINT_KEEP_LOADED=N: (N files, False); PREPLINT_KEEP_LOADED=all: no limit (None: every
    file's facts stay in memory, the fastest for a machine with memory to spare)."""
    found = os.environ.get("PREPLINT_KEEP_LOADED", "").strip()
    if found.lower() == "all":
        return None
    try:
        return (max(1, int(found)), False) if found else (FACTS_BUDGET, True)
    except ValueError:
        return (FACTS_BUDGET, True)


def _lint_many(
    pairs: Sequence[tuple[Path, str]], config: Config, jobs: int, deps: dict[str, str]
) -> Report:
    """A run without a cache over many files. Memory holds each file's summary and the most
    recently used files' facts, up to a budget (`_keep_loaded`); the rest wait on disk
    (`FactsStore`), and the least recently used are let go between two files' rules."""
    from preplint.analysis.project_wide import assembled
    from preplint.facts.project import estimated_size
    from preplint.pipeline.store import FactsStore

    report_progress = PROGRESS
    progress = (lambda done: report_progress(done, len(pairs))) if report_progress else None
    keep = _keep_loaded()
    if keep is None:
        parsed = extract_all(pairs, jobs=jobs, progress=progress)
        return lint_parsed(parsed, config, dependency_files=deps, jobs=jobs)
    cap, by_size = keep
    weigh = estimated_size if by_size else None
    with FactsStore(cap, weigh) as store:
        parsed = extract_all(pairs, jobs=jobs, progress=progress, keep=store.put)
        summaries = [store.summaries[p.path] for p in parsed if p.path in store.summaries]
        index = ProjectIndex(
            store.take_held(),
            dependency_files=deps,
            summaries=summaries,
            load=store.load,
            weigh=weigh,
            spill=store.save,
        )
        index.recording = False
        index.keep_loaded = cap
        assembled(index)
        rules = selected_rules(config)
        found = [d for each in rules_over(parsed, index, rules, jobs, config) for d in each]
    found.sort(key=lambda d: d.sort_key)
    return Report(files=len(parsed), diagnostics=tuple(dedupe(found)))


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        return f"<unreadable: {exc}>".encode()


# --- one buffer: what editors run ---------------------------------------------------------------


@dataclass(frozen=True)
class BufferLint:
    """A buffer's report, and the files on disk (display paths) that went into it."""

    report: Report
    partners: tuple[str, ...]
    dependency_files: tuple[str, ...]


def lint_text(
    data: bytes,
    path: str,
    config: Config,
    *,
    overlays: dict[str, str] | None = None,
    cache: object | None = None,
) -> BufferLint:
    """Lint `data` as if it were the file at `path`; nothing is written anywhere.

    Partners (the scripts beside it, the modules it imports) and dependency files come from
    disk around `path`, as in `lint_project([path])`, so the report is the one a run on the
    saved file gives. `overlays` ({absolute path: text}) stand in for files whose editor
    buffers differ from disk. Partners are looked up in `cache` and stored there: pass a
    `ReadOnlyCache` (or none) to leave no trace on disk.
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        return _lint_text(data, path, config, overlays or {}, cache)
    finally:
        if enabled:
            gc.enable()


class ReadOnlyCache(FactsCache):
    """Answers from another facts cache and never writes: an editor's buffer run leaves no trace."""

    def __init__(self, inner: FactsCache) -> None:
        super().__init__(inner.folder)
        self._inner = inner

    def get(self, file: Path, shown: str) -> Parsed | None:
        return self._inner.get(file, shown)

    def put(self, file: Path, parsed: Parsed) -> None:
        return None


def _lint_text(
    data: bytes, path: str, config: Config, overlays: dict[str, str], cache: object | None
) -> BufferLint:
    file = Path(path)
    shown = display_path(file)
    target = extract_bytes(data, shown, notebook=file.suffix == ".ipynb")
    root = project_root([path], config)
    deps = dependency_files(root, [shown])
    for dep in deps:
        text = overlays.get(os.path.abspath(dep))
        if text is not None:
            deps[dep] = text
    extra = find_partners([target], config, 1, cache)
    extra = [_overlaid(item, overlays) for item in extra]
    report = lint_parsed([target, *extra], config, targets={shown}, dependency_files=deps)
    return BufferLint(report, tuple(p.path for p in extra), tuple(deps))


def _overlaid(item: Parsed, overlays: dict[str, str]) -> Parsed:
    """A partner as its editor buffer has it, when the buffer differs from disk."""
    text = overlays.get(os.path.abspath(item.path))
    if text is None:
        return item
    parsed = extract_bytes(text.encode("utf-8"), item.path, notebook=item.path.endswith(".ipynb"))
    # A partner that does not parse mid-edit is left out, as on disk.
    return parsed if parsed.facts is not None else replace(item, facts=None)
