"""Maps findings to probes, resolves their artifacts, and runs one worker per artifact."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preplint.confirm import probes as probe_names
from preplint.confirm.limits import check_memory_limit, check_timeout
from preplint.confirm.pickle_scan import PickleScan, scan_pickles
from preplint.confirm.probes import (
    PICKLE,
    SCANNED_FORMATS,
    WORKER_PROBES,
    ArtifactFormat,
    detect_format,
    probe_for,
    supports,
)
from preplint.confirm.runner import run_worker
from preplint.confirm.verdicts import FACT_VERDICTS, INCONCLUSIVE, pickle_verdict
from preplint.diagnostics import Confirmation, Diagnostic

_MAX_PARALLEL_WORKERS = 4


@dataclass(frozen=True)
class ConfirmOptions:
    """How --confirm runs: where artifacts are looked for, and the worker's limits."""

    artifact_roots: tuple[Path, ...] = ()
    trust_artifacts: bool = False
    # Let the worker import the project's own modules (to rebuild a state_dict's module, or to
    # pass a Keras model's custom objects): the project's code runs, so it is asked for apart.
    import_project: bool = False
    timeout: float = 60.0
    memory_limit_mb: int = 4096

    def __post_init__(self) -> None:
        """Reject limits that limit nothing (NaN, infinity, zero, negative): LimitError."""
        check_timeout(self.timeout)
        check_memory_limit(self.memory_limit_mb)


def candidate_paths(diagnostic: Diagnostic, options: ConfirmOptions | None = None) -> list[Path]:
    """Where a finding's artifact may be, in order: as written, next to the script, cwd, roots."""
    if diagnostic.artifact is None:
        return []
    written = Path(diagnostic.artifact).expanduser()
    if written.is_absolute():
        return [written]
    roots = [Path(diagnostic.path).parent, Path.cwd(), *(options.artifact_roots if options else ())]
    seen: list[Path] = []
    for root in roots:
        candidate = (root / written).absolute()
        if candidate not in seen:
            seen.append(candidate)
    return seen


def resolve_artifact(diagnostic: Diagnostic, options: ConfirmOptions | None = None) -> Path | None:
    """The first existing candidate path of the finding's artifact."""
    for candidate in candidate_paths(diagnostic, options):
        if candidate.exists():
            return candidate
    return None


def no_artifact_reason(diagnostic: Diagnostic, options: ConfirmOptions | None = None) -> str | None:
    """Why --confirm ran no probe for this finding (None when it has no probe or was probed)."""
    if diagnostic.confirmation is not None or probe_for(diagnostic.code) is None:
        return None
    if diagnostic.artifact is None:
        return "no artifact path known for this finding"
    if resolve_artifact(diagnostic, options) is None:
        places = "next to the script, in the current folder" + (
            " and in artifact-roots" if options is None or options.artifact_roots else ""
        )
        return f"no artifact found for {diagnostic.artifact!r} (looked {places})"
    return None


@dataclass(frozen=True)
class ArtifactResult:
    """Everything learnt about one artifact: its format, pickle scan and worker facts."""

    path: Path
    format: ArtifactFormat
    scan: PickleScan | None
    facts: dict[str, Any]  # probe name -> facts from the worker
    failure: str | None  # why the worker gave no facts (timeout, out of memory, refusal)
    seconds: float = 0.0


def _refused_by_scan(
    fmt: ArtifactFormat, scan: PickleScan | None, options: ConfirmOptions
) -> str | None:
    """Why an artifact must not reach a loader: its pickles import unlisted globals."""
    if options.trust_artifacts or scan is None or scan.safe:
        return None
    if not scan.disallowed:
        return f"not loaded: the pickle scan stopped: {scan.error}"
    what = ", ".join(scan.disallowed[:6])
    nature = "a TorchScript archive runs its own code; " if fmt.format == "torchscript" else ""
    return f"not loaded: {nature}its pickles import {what} (pass --trust-artifacts to load it)"


def probe_artifact(
    path: Path,
    wanted: set[str],
    options: ConfirmOptions,
    *,
    search_paths: Sequence[str] = (),
    input_path: Path | None = None,
    audit: bool = False,
    names: Sequence[str] = (),
) -> ArtifactResult:
    """Scan the artifact in-process, then run every worker probe it supports in ONE worker."""
    fmt = detect_format(path)
    scan = scan_pickles(path) if fmt.format in SCANNED_FORMATS else None
    worker_probes = sorted(p for p in wanted & WORKER_PROBES if supports(p, fmt) is None)
    if not worker_probes and not audit:
        return ArtifactResult(path, fmt, scan, {}, None)
    # Reading versions loads nothing; every other probe, and an audit, loads the artifact.
    loads = audit or any(p != probe_names.VERSION for p in worker_probes)
    refusal = _refused_by_scan(fmt, scan, options) if loads else None
    if refusal:
        worker_probes = [p for p in worker_probes if p == probe_names.VERSION]
        audit = False
        if not worker_probes:
            return ArtifactResult(path, fmt, scan, {}, refusal)
    request = {
        "artifact": str(path),
        "probes": worker_probes,
        "trust": options.trust_artifacts,
        "input": str(input_path.absolute()) if input_path else None,
        "search_paths": list(search_paths),
        "audit": audit,
        "import_project": options.import_project,
        "recipes": _recipes(path, fmt, names, search_paths),
    }
    outcome = run_worker(request, timeout=options.timeout, memory_limit_mb=options.memory_limit_mb)
    if outcome.response is None:
        return ArtifactResult(path, fmt, scan, {}, outcome.failure, outcome.seconds)
    response = outcome.response
    facts = dict(response.get("probes", {}))
    facts["_response"] = response
    return ArtifactResult(path, fmt, scan, facts, refusal or response.get("error"), outcome.seconds)


_MAX_RECIPES = 4


def _recipes(
    path: Path, fmt: ArtifactFormat, names: Sequence[str], search_paths: Sequence[str]
) -> list[dict[str, Any]]:
    """How the project builds the module whose state_dict a torch archive may hold (source only)."""
    if fmt.format not in ("torch-zip", "torch-legacy"):
        return []
    from preplint.confirm.project import find_recipes

    folders = [Path(p) for p in search_paths]
    for name in [*names, path.name]:
        recipes = find_recipes(name, path, folders)
        if recipes:
            return [r.to_json() for r in recipes[:_MAX_RECIPES]]
    return []


def confirmation_for(diagnostic: Diagnostic, result: ArtifactResult) -> Confirmation:
    """The verdict of the finding's probe on its artifact's result."""
    probe = probe_for(diagnostic.code)
    assert probe is not None
    artifact = diagnostic.artifact or str(result.path)

    def verdict(status: str, evidence: str) -> Confirmation:
        return Confirmation(status=status, probe=probe, evidence=evidence, artifact=artifact)

    unsupported = supports(probe, result.format)
    if unsupported:
        return verdict(INCONCLUSIVE, unsupported)
    if probe == PICKLE:
        assert result.scan is not None
        return verdict(*pickle_verdict(diagnostic.code, result.scan))
    facts = result.facts.get(probe)
    if facts is None:
        return verdict(
            INCONCLUSIVE, result.failure or "the worker returned no result for this probe"
        )
    return verdict(*FACT_VERDICTS[probe](diagnostic.code, facts))


def _search_paths(diagnostics: Sequence[Diagnostic]) -> list[str]:
    """Folders a loader would import project modules from: the scripts' folders, then cwd."""
    folders: list[str] = []
    for diagnostic in diagnostics:
        for folder in (str(Path(diagnostic.path).parent.absolute()), str(Path.cwd())):
            if folder not in folders:
                folders.append(folder)
    return folders


def confirm_diagnostics(
    diagnostics: Sequence[Diagnostic], options: ConfirmOptions
) -> tuple[Diagnostic, ...]:
    """The same diagnostics, in order, with .confirmation set wherever a probe could run.

    Probes are grouped per artifact so that each artifact is loaded by one worker process;
    workers for different artifacts run side by side.
    """
    groups: dict[Path, list[int]] = {}
    for index, diagnostic in enumerate(diagnostics):
        if probe_for(diagnostic.code) is None:
            continue
        path = resolve_artifact(diagnostic, options)
        if path is not None:
            groups.setdefault(path, []).append(index)
    if not groups:
        return tuple(diagnostics)

    def probe_group(path: Path) -> ArtifactResult:
        members = [diagnostics[i] for i in groups[path]]
        wanted = {probe for d in members if (probe := probe_for(d.code))}
        names = sorted({d.artifact for d in members if d.artifact})
        return probe_artifact(
            path, wanted, options, search_paths=_search_paths(members), names=names
        )

    parallel = max(1, min(len(groups), os.cpu_count() or 1, _MAX_PARALLEL_WORKERS))
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        results = dict(zip(groups, pool.map(probe_group, groups), strict=True))
    confirmed = list(diagnostics)
    for path, indices in groups.items():
        for index in indices:
            confirmed[index] = diagnostics[index].with_confirmation(
                confirmation_for(diagnostics[index], results[path])
            )
    return tuple(confirmed)
