"""The rules phase: every rule over each file (a forked pool for many files), suppression helpers."""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence
from dataclasses import replace

from preplint.config import Config
from preplint.diagnostics import Diagnostic, Severity, Span
from preplint.facts.model import FileFacts
from preplint.facts.project import ProjectIndex, Uses
from preplint.pipeline.parsed import Parsed
from preplint.pipeline.special import special
from preplint.rules import Rule


def run_rules(facts: FileFacts, index: ProjectIndex, rules: Sequence[Rule]) -> list[Diagnostic]:
    """Every rule over one file; a rule that raises becomes an INTERNAL diagnostic.

    What the rules' analysis uses is recorded in the index under this file."""
    index.push(facts.path)
    try:
        return _run_rules(facts, index, rules)
    finally:
        index.pop()


def _run_rules(facts: FileFacts, index: ProjectIndex, rules: Sequence[Rule]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for rule in rules:
        try:
            for finding in rule.check(facts, index):
                span = finding.span
                out.append(
                    Diagnostic(
                        code=rule.code,
                        name=rule.name,
                        severity=finding.severity or rule.severity,
                        message=finding.message,
                        path=finding.path or facts.path,
                        line=span.line,
                        column=span.column,
                        end_line=span.end_line,
                        end_column=span.end_column,
                        related=finding.related,
                        fix=finding.fix,
                        artifact=finding.artifact,
                        preview=rule.preview or finding.preview,
                    )
                )
        except Exception as exc:
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            out.append(
                special("INTERNAL", facts.path, f"internal error in rule {rule.code}: {detail}")
            )
    return out


def _map_cells(diagnostic: Diagnostic, facts: FileFacts) -> Diagnostic:
    if not facts.cell_map or diagnostic.path != facts.path:
        return diagnostic
    from preplint.notebook import map_diagnostic

    return map_diagnostic(diagnostic, facts.cell_map)


def suppression_problems(item: Parsed) -> list[Diagnostic]:
    """`# preplint:` comments that do nothing (unknown code, malformed, misplaced ignore-file)."""
    out: list[Diagnostic] = []
    for line, column, message in item.suppressions.problems():
        d = replace(
            special("SUPPRESSION", item.path, message, Span(line, column, line, column + 1)),
            severity=Severity.WARNING,
        )
        out.append(_map_cells(d, item.facts) if item.facts is not None else d)
    return out


# The rules phase in a forked pool reads these instead of pickling the whole index per task.
_RULES_STATE: tuple[Sequence[Parsed], ProjectIndex, Sequence[Rule], Config] | None = None
_RULES_POOL_MIN_FILES = 24


def _rules_for(
    item: Parsed, index: ProjectIndex, rules: Sequence[Rule], config: Config
) -> list[Diagnostic]:
    """One file's diagnostics as reported. Its facts come from the index (which may have let
    them go since extraction, see `ProjectIndex.settle`)."""
    if index.summary(item.path) is not None:
        facts = index.loaded(item.path)
        if facts is not None and facts is not item.facts:
            item = replace(item, facts=facts)
    found = []
    if item.facts is not None:
        found = [_map_cells(d, item.facts) for d in run_rules(item.facts, index, rules)]
    out = kept_diagnostics(item, found, config)
    index.settle()
    return out


def _rules_job(position: int) -> tuple[list[Diagnostic], dict[str, Uses]]:
    assert _RULES_STATE is not None
    work, index, rules, config = _RULES_STATE
    found = _rules_for(work[position], index, rules, config)
    return found, index.take_uses()  # what the parent's records need


def _statements(item: Parsed) -> int:
    return item.facts.statements if item.facts is not None else 0


def rules_over(
    work: Sequence[Parsed], index: ProjectIndex, rules: Sequence[Rule], jobs: int, config: Config
) -> list[list[Diagnostic]]:
    """Each file's diagnostics as reported (`kept_diagnostics`), in `work` order; in forked
    workers when there are many files."""
    if jobs < 2 or len(work) < _RULES_POOL_MIN_FILES or index.partly_loaded:
        # A project whose facts do not all fit the budget runs its rules here: each worker
        # would hold its own loaded facts and analysis answers on top of the parent's pages
        # (5,608 files at --jobs 2: 870 MB against 490 MB in one process).
        return [_rules_for(item, index, rules, config) for item in work]
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return [_rules_for(item, index, rules, config) for item in work]
    global _RULES_STATE
    _RULES_STATE = (work, index, rules, config)
    # Project-wide answers every worker would otherwise compute again for itself.
    from preplint.analysis.project_wide import assembled

    assembled(index)
    try:
        # Biggest files first so that no worker ends alone on a giant.
        order = sorted(range(len(work)), key=lambda i: -_statements(work[i]))
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        try:
            with ProcessPoolExecutor(
                max_workers=jobs, mp_context=multiprocessing.get_context("fork")
            ) as pool:
                results = {}
                for i, (found, uses) in zip(
                    order, pool.map(_rules_job, order, chunksize=2), strict=False
                ):
                    results[i] = found
                    index.merge_uses(uses)
        except BrokenProcessPool:  # a worker was killed (out of memory): finish here
            results = {i: _rules_for(work[i], index, rules, config) for i in range(len(work))}
    finally:
        _RULES_STATE = None
    return [results[i] for i in range(len(work))]


def line_in_source(d: Diagnostic, item: Parsed) -> int:
    """The line in the (possibly notebook-joined) source the diagnostic points at."""
    if item.facts is not None and item.facts.cell_map and d.cell is not None:
        from preplint.notebook import source_line

        return source_line(item.facts.cell_map, d.cell, d.line)
    return d.line


def dedupe(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[object, ...]] = set()
    out: list[Diagnostic] = []
    for d in diagnostics:
        key = (d.path, d.line, d.column, d.code, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def kept_diagnostics(item: Parsed, found: list[Diagnostic], config: Config) -> list[Diagnostic]:
    """A file's diagnostics as reported: its parse problem, its rules' findings and its
    suppression problems, less what its comments and the configuration hide."""
    if item.problem is not None:
        found = [item.problem, *found]
    found = found + suppression_problems(item)
    out: list[Diagnostic] = []
    for d in found:
        if d.code not in ("INTERNAL", "SUPPRESSION") and item.suppressions.hides(
            d.code, line_in_source(d, item)
        ):
            continue
        if not config.selects(d.code, d.path) or (d.preview and not config.previews(d.path)):
            continue
        out.append(d)
    return out
