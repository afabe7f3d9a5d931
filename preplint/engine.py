"""discover → extract (process pool, cache) → index → rules → suppress/select → sorted Report."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from preplint.cache import FactsCache, Reads
from preplint.config import Config, resolved
from preplint.diagnostics import Diagnostic, Report, Severity, Span
from preplint.facts import frameworks as fw
from preplint.facts.model import FileFacts
from preplint.facts.project import ProjectIndex, Uses
from preplint.pipeline.parsed import Parsed
from preplint.rules import Rule, all_rules
from preplint.suppress import Suppressions
from preplint.suppress import parse as parse_suppressions


def display_path(path: Path) -> str:
    """Relative to the current folder when under it, else absolute; '/' separators."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


_FIRST_LINE = Span(1, 1, 1, 1)


def _special(code: str, path: str, message: str, span: Span = _FIRST_LINE) -> Diagnostic:
    severity = Severity.ERROR
    return Diagnostic(
        code,
        code.lower(),
        severity,
        message,
        path,
        span.line,
        span.column,
        span.end_line,
        span.end_column,
    )


def decode_source(data: bytes) -> str:
    """Source text as Python would read it: a BOM or coding cookie is honoured."""
    import io
    import tokenize

    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def may_matter(data: bytes) -> bool:
    """A byte search before parsing: a file that names no ML library cannot match a rule."""
    return any(needle in data for needle in fw.PREFILTER_NEEDLES)


# libcst's native parser dies (SIGSEGV) on nesting CPython refuses; see `nesting_problem`.
_DEPTH_GUARD = True


def python_syntax_error(source: str, path: str) -> SyntaxError | None:
    """What CPython's own compiler says about `source` (fast: no bytecode is made)."""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        return exc
    except (RecursionError, MemoryError, ValueError):
        return None
    return None


def _python_syntax(path: str, source: str, exc: SyntaxError) -> Diagnostic:
    """SYNTAX at the line and column Python reports (its column counts characters from 1)."""
    line = max(1, exc.lineno or 1)
    column = max(1, exc.offset or 1)
    lines = source.splitlines()
    if exc.offset and line <= len(lines):
        # Python counts the offset in UTF-8 bytes of the line in some versions; clamp it.
        column = min(column, len(lines[line - 1]) + 1)
    detail = f"{exc.msg}".replace("\n", " ")
    return _special("SYNTAX", path, f"cannot parse: {detail}", Span(line, column, line, column + 1))


def nesting_problem(source: str) -> tuple[str, int] | None:
    """Why CPython would refuse `source` as nested too deeply, and the line; None if it would not.

    Ten thousand unary minus signs or a 50,000-deep attribute chain crash libcst's native
    parser with a segfault. CPython's own parser (fast, C, a small part of a libcst parse)
    rejects the same input with an error, so it is asked first. Other syntax errors are left
    to libcst, which knows newer grammar than the running interpreter may.
    """
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError as exc:
        text = str(exc.msg)
        if "nested" in text or "too complex" in text:
            return f"{text} (Python refuses it too)", max(1, exc.lineno or 1)
    except (RecursionError, MemoryError) as exc:
        detail = str(exc) or "the parser's stack overflowed"
        return f"nested too deeply: {detail} (Python refuses it too)", 1
    except ValueError:  # NUL bytes and the like: libcst gives the message
        return None
    return None


def extract_source(source: str, path: str) -> Parsed:
    """Parse one file's text and extract its facts; never raises."""
    import libcst as cst

    from preplint.facts.extract import extract, module_name_for

    suppressions = parse_suppressions(source)
    too_deep = nesting_problem(source) if _DEPTH_GUARD else None
    if too_deep is not None:
        message, line = too_deep
        return Parsed(
            path,
            None,
            suppressions,
            _special("SYNTAX", path, f"cannot parse: {message}", Span(line, 1, line, 1)),
        )
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        # Python's own position when it refuses the file too (libcst's can differ).
        python = python_syntax_error(source, path)
        if python is not None:
            return Parsed(path, None, suppressions, _python_syntax(path, source, python))
        line = max(1, exc.raw_line)
        column = max(1, exc.raw_column + 1)
        message = f"cannot parse: {exc.message}".replace("\n", " ")
        return Parsed(
            path,
            None,
            suppressions,
            _special("SYNTAX", path, message, Span(line, column, line, column + 1)),
        )
    except (RecursionError, MemoryError) as exc:
        return Parsed(
            path,
            None,
            suppressions,
            _special("SYNTAX", path, f"cannot parse: {type(exc).__name__} (too deeply nested)"),
        )
    except Exception as exc:  # libcst raises a few other errors on odd input
        return Parsed(
            path,
            None,
            suppressions,
            _special("SYNTAX", path, f"cannot parse: {exc}".replace("\n", " ")[:300]),
        )
    try:
        facts = extract(module, path, module_name_for(path), source)
    except RecursionError:
        return Parsed(
            path,
            None,
            suppressions,
            _special("SYNTAX", path, "cannot analyse: expression nested too deeply"),
        )
    except Exception as exc:
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return Parsed(
            path,
            None,
            suppressions,
            _special("INTERNAL", path, f"internal error while extracting facts: {detail}"),
        )
    return Parsed(path, facts, suppressions)


def extract_file(file: Path, shown: str, *, prefilter: bool = True) -> Parsed:
    try:
        data = file.read_bytes()
    except OSError as exc:
        return Parsed(
            shown,
            None,
            Suppressions({}, frozenset()),
            _special("SYNTAX", shown, f"cannot read file: {exc.strerror or exc}"),
        )
    return extract_bytes(data, shown, notebook=file.suffix == ".ipynb", prefilter=prefilter)


def extract_bytes(data: bytes, shown: str, *, notebook: bool, prefilter: bool = True) -> Parsed:
    """One file's content, read from disk or handed over by an editor, as `extract_file` sees it."""
    empty = Suppressions({}, frozenset())
    if notebook:
        from preplint.notebook import NotebookError, read_notebook, syntax_diagnostic

        try:
            cells = read_notebook(data)
        except NotebookError as exc:
            return Parsed(
                shown, None, empty, _special("SYNTAX", shown, f"cannot read notebook: {exc}")
            )
        source, cell_map = cells.source, cells.cell_map
        # Broken cells are blank in `source`; the prefilter reads them as written.
        written = source + "".join(line + "\n" for c in cells.broken for line in c.lines)
        skip = prefilter and not may_matter(written.encode("utf-8", "replace"))
        if skip and not cells.broken and not _has_directive(source):
            return Parsed(shown, None, parse_suppressions(source))
        parsed = _with_cells(extract_source(source, shown), cell_map)
        if cells.broken and parsed.problem is None:
            parsed = replace(parsed, problem=syntax_diagnostic(shown, cells.broken))
        return parsed
    if prefilter and not may_matter(data):
        return _unanalysed(data, shown)
    if b"\x00" in data:
        return Parsed(
            shown, None, empty, _byte_problem(data, data.index(b"\x00"), shown, "NUL byte")
        )
    try:
        source = decode_source(data)
    except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
        return Parsed(shown, None, empty, _decode_problem(data, shown, exc))
    return extract_source(source, shown)


def _has_directive(source: str) -> bool:
    from preplint.suppress import _ANY_DIRECTIVE

    return _ANY_DIRECTIVE.search(source) is not None


def _unanalysed(data: bytes, shown: str) -> Parsed:
    """A file the prefilter skips: no rule can match it, but it must still parse.

    Checked with CPython's compiler (a small part of a libcst parse): a SYNTAX finding at
    the line and column Python reports, or at the offset of undecodable bytes.
    """
    empty = Suppressions({}, frozenset())
    if b"\x00" in data:
        offset = data.index(b"\x00")
        return Parsed(shown, None, empty, _byte_problem(data, offset, shown, "NUL byte"))
    try:
        source = decode_source(data)
    except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
        return Parsed(shown, None, empty, _decode_problem(data, shown, exc))
    if python_syntax_error(source, shown) is not None:
        # libcst may know newer grammar than the running Python: it has the last word.
        return extract_source(source, shown)
    return Parsed(shown, None, parse_suppressions(source))


def _decode_problem(data: bytes, shown: str, exc: Exception) -> Diagnostic:
    """SYNTAX for a file whose bytes do not decode, at the offset of the first bad byte."""
    if isinstance(exc, UnicodeDecodeError):
        return _byte_problem(data, exc.start, shown, exc.reason)
    if isinstance(exc, SyntaxError):  # tokenize's "invalid or missing encoding declaration"
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            return _byte_problem(data, bad.start, shown, f"not valid UTF-8 ({bad.reason})")
    return _special("SYNTAX", shown, f"cannot decode file: {exc}")


def _byte_problem(data: bytes, offset: int, shown: str, reason: str) -> Diagnostic:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return _special(
        "SYNTAX",
        shown,
        f"cannot decode file: {reason} at byte offset {offset}",
        Span(line, column, line, column + 1),
    )


def _with_cells(parsed: Parsed, cell_map: tuple[tuple[int, int, int], ...]) -> Parsed:
    if parsed.facts is not None:
        return replace(parsed, facts=replace(parsed.facts, cell_map=cell_map))
    if parsed.problem is not None and cell_map:
        from preplint.notebook import map_diagnostic

        return replace(parsed, problem=map_diagnostic(parsed.problem, cell_map))
    return parsed


def _extract_job(args: tuple[str, str, bool]) -> Parsed:
    file, shown, prefilter = args
    if _STARTED is not None:
        # If this worker dies, the parent knows which file it held: one small file per worker,
        # overwritten for each job. (A queue nobody reads until the pool ends fills its pipe
        # after a few thousand paths and blocks every worker: a deadlock on large trees.)
        with contextlib.suppress(OSError):
            Path(_STARTED, str(os.getpid())).write_text(shown, encoding="utf-8")
    return extract_file(Path(file), shown, prefilter=prefilter)


# Set in the parent before a pool forks: the folder where workers say which file they start.
_STARTED: str | None = None
_POOL_ROUNDS = 4


def _extract_pooled(
    args: list[tuple[str, str, bool]],
    jobs: int,
    context: Any,
    progress: Callable[[int], None] | None = None,
    before: int = 0,
) -> dict[str, Parsed]:
    """Extract in a process pool; a worker that dies costs only the file it held.

    The files it held are each run alone in a fresh process (and reported if that one dies
    too), the rest go to a new pool.
    """
    import shutil
    import tempfile
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _STARTED
    results: dict[str, Parsed] = {}
    remaining = list(args)
    for _ in range(_POOL_ROUNDS):
        if not remaining:
            break
        started = tempfile.mkdtemp(prefix="preplint-started-")
        _STARTED = started
        broken = False
        try:
            with ProcessPoolExecutor(
                max_workers=min(jobs, len(remaining)), mp_context=context
            ) as pool:
                futures = [pool.submit(_extract_job, a) for a in remaining]
                for future in futures:
                    try:
                        parsed = future.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    results[parsed.path] = parsed
                    if progress is not None:
                        progress(before + len(results))
        except BrokenProcessPool:
            broken = True
        finally:
            _STARTED = None
        suspects: set[str] = set()
        for marker in Path(started).iterdir():
            with contextlib.suppress(OSError):
                suspects.add(marker.read_text(encoding="utf-8"))
        shutil.rmtree(started, ignore_errors=True)
        remaining = [a for a in remaining if a[1] not in results]
        if not broken:
            break
        for a in remaining:
            if a[1] in suspects:
                results[a[1]] = _extract_alone(a, context)
        remaining = [a for a in remaining if a[1] not in results]
    for a in remaining:  # pools kept dying: one process per file
        results[a[1]] = _extract_alone(a, context)
    return results


def _extract_alone(args: tuple[str, str, bool], context: Any) -> Parsed:
    """One file in its own process: if the process dies, the file is reported, not the run."""
    import signal

    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=_alone_job, args=(args, writer))
    process.start()
    writer.close()
    parsed: Parsed | None = None
    with contextlib.suppress(EOFError, OSError):  # the process died before it answered
        parsed = reader.recv()
    process.join()
    reader.close()
    if isinstance(parsed, Parsed):
        return parsed
    shown = args[1]
    code = process.exitcode or 0
    if code < 0:
        try:
            how = f"signal {-code}, {signal.Signals(-code).name}"
        except ValueError:
            how = f"signal {-code}"
    else:
        how = f"exit status {code}"
    return Parsed(
        shown,
        None,
        Suppressions({}, frozenset()),
        _special(
            "INTERNAL",
            shown,
            f"the parser process died on this file ({how}); its findings are missing",
        ),
    )


def _alone_job(args: tuple[str, str, bool], writer: Any) -> None:
    writer.send(_extract_job(args))
    writer.close()


def run_rules(facts: FileFacts, index: ProjectIndex, rules: Sequence[Rule]) -> list[Diagnostic]:
    """Every rule over one file; a rule that raises becomes an INTERNAL diagnostic."""
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
                _special("INTERNAL", facts.path, f"internal error in rule {rule.code}: {detail}")
            )
    return out


def _map_cells(diagnostic: Diagnostic, facts: FileFacts) -> Diagnostic:
    if not facts.cell_map or diagnostic.path != facts.path:
        return diagnostic
    from preplint.notebook import map_diagnostic

    return map_diagnostic(diagnostic, facts.cell_map)


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
    work = [item for item in parsed if targets is None or item.path in targets]
    per_file = _rules_over(work, index, rules, jobs)
    diagnostics: list[Diagnostic] = []
    for item, found in zip(work, per_file, strict=False):
        diagnostics += _kept(item, found, config)
    diagnostics.sort(key=lambda d: d.sort_key)
    return Report(files=len(work), diagnostics=tuple(_dedupe(diagnostics)))


def selected_rules(config: Config) -> list[Rule]:
    return [
        r for r in all_rules() if config.selects(r.code) and (config.previews() or not r.preview)
    ]


def _kept(item: Parsed, found: list[Diagnostic], config: Config) -> list[Diagnostic]:
    """A file's diagnostics as reported: its parse problem, its rules' findings and its
    suppression problems, less what its comments and the configuration hide."""
    if item.problem is not None:
        found = [item.problem, *found]
    found = found + _suppression_problems(item)
    out: list[Diagnostic] = []
    for d in found:
        if d.code not in ("INTERNAL", "SUPPRESSION") and item.suppressions.hides(
            d.code, _source_line(d, item)
        ):
            continue
        if not config.selects(d.code, d.path) or (d.preview and not config.previews(d.path)):
            continue
        out.append(d)
    return out


def _suppression_problems(item: Parsed) -> list[Diagnostic]:
    """`# preplint:` comments that do nothing (unknown code, malformed, misplaced ignore-file)."""
    out: list[Diagnostic] = []
    for line, column, message in item.suppressions.problems():
        d = replace(
            _special("SUPPRESSION", item.path, message, Span(line, column, line, column + 1)),
            severity=Severity.WARNING,
        )
        out.append(_map_cells(d, item.facts) if item.facts is not None else d)
    return out


# The rules phase in a forked pool reads these instead of pickling the whole index per task.
_RULES_STATE: tuple[Sequence[Parsed], ProjectIndex, Sequence[Rule]] | None = None
_RULES_POOL_MIN_FILES = 24


def _rules_for(item: Parsed, index: ProjectIndex, rules: Sequence[Rule]) -> list[Diagnostic]:
    if item.facts is None:
        return []
    return [_map_cells(d, item.facts) for d in run_rules(item.facts, index, rules)]


def _rules_job(position: int) -> tuple[list[Diagnostic], dict[str, Uses]]:
    assert _RULES_STATE is not None
    work, index, rules = _RULES_STATE
    found = _rules_for(work[position], index, rules)
    return found, index.take_uses()  # what the parent's records need


def _statements(item: Parsed) -> int:
    return item.facts.statements if item.facts is not None else 0


def _rules_over(
    work: Sequence[Parsed], index: ProjectIndex, rules: Sequence[Rule], jobs: int
) -> list[list[Diagnostic]]:
    """Each file's diagnostics, in `work` order; in forked workers when there are many files."""
    if jobs < 2 or len(work) < _RULES_POOL_MIN_FILES:
        return [_rules_for(item, index, rules) for item in work]
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return [_rules_for(item, index, rules) for item in work]
    global _RULES_STATE
    _RULES_STATE = (work, index, rules)
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
            results = {i: _rules_for(work[i], index, rules) for i in range(len(work))}
    finally:
        _RULES_STATE = None
    return [results[i] for i in range(len(work))]


def _source_line(d: Diagnostic, item: Parsed) -> int:
    """The line in the (possibly notebook-joined) source the diagnostic points at."""
    if item.facts is not None and item.facts.cell_map and d.cell is not None:
        from preplint.notebook import source_line

        return source_line(item.facts.cell_map, d.cell, d.line)
    return d.line


def _dedupe(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[object, ...]] = set()
    out: list[Diagnostic] = []
    for d in diagnostics:
        key = (d.path, d.line, d.column, d.code, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def extract_all(
    files: Sequence[tuple[Path, str]],
    *,
    jobs: int,
    cache: object | None = None,
    prefilter: bool = True,
    progress: Callable[[int], None] | None = None,
) -> list[Parsed]:
    """Extract facts for many files, in a process pool when it pays, from the cache when it can.

    `progress(done)` is called as files are done (the command line shows it on a terminal).
    """
    from preplint.cache import FactsCache

    results: dict[str, Parsed] = {}
    todo: list[tuple[Path, str]] = []
    fc = cache if isinstance(cache, FactsCache) else None
    for file, shown in files:
        hit = fc.get(file, shown) if fc is not None else None
        if hit is not None:
            results[shown] = hit
        else:
            todo.append((file, shown))
    if jobs > 1 and len(todo) >= 8:
        import multiprocessing

        import libcst  # noqa: F401  - imported once here, shared by the forked workers

        # Largest files first, in small chunks: the last worker to finish is not stuck with a giant.
        todo_sorted = sorted(todo, key=lambda pair: -_size(pair[0]))
        args = [(str(f), s, prefilter) for f, s in todo_sorted]
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        results.update(_extract_pooled(args, jobs, context, progress, len(results)))
    else:
        for file, shown in todo:
            results[shown] = extract_file(file, shown, prefilter=prefilter)
            if progress is not None:
                progress(len(results))
    if fc is not None:
        for file, shown in todo:
            problem = results[shown].problem
            if (
                problem is None or problem.code != "INTERNAL"
            ):  # a killed worker may not be the file's fault
                fc.put(file, results[shown])
    return [results[shown] for _, shown in files]


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


DEPENDENCY_FILE_NAMES = (
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "environment.yml",
    "environment.yaml",
    "Pipfile",
)


def is_dependency_file(path: str) -> bool:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name in DEPENDENCY_FILE_NAMES or (
        name.startswith("requirements") and name.endswith((".txt", ".in"))
    )


# --- whole projects: what the command line runs ------------------------------------------------

_PARTNER_SCAN_LIMIT = 500
_ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git", "requirements.txt")


def project_root(paths: Sequence[str], config: Config) -> Path:
    """The folder the project index may read: the config's folder, else the nearest project marker."""
    if config.source is not None:
        return config.root
    start = resolved(Path(paths[0])) if paths else Path.cwd()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in _ROOT_MARKERS):
            return folder
    return start


def dependency_files(root: Path, files: Sequence[str] = ()) -> dict[str, str]:
    """Dependency declarations in the folders from each linted file up to the project root.

    A monorepo often keeps one requirements.txt per project folder; the rule that reads
    them picks the nearest one for each script.
    """
    folders: set[Path] = {root}
    for name in files:
        folder = resolved(Path(name)).parent
        while True:
            folders.add(folder)
            if folder == root or root not in folder.parents:
                break
            folder = folder.parent
    out: dict[str, str] = {}
    for folder in sorted(folders):
        if not folder.is_dir():
            continue
        candidates = [
            p for p in sorted(folder.iterdir()) if p.is_file() and is_dependency_file(p.name)
        ]
        req_dir = folder / "requirements"
        if req_dir.is_dir():
            candidates += [
                p for p in sorted(req_dir.iterdir()) if p.is_file() and p.suffix in (".txt", ".in")
            ]
        for path in candidates:
            try:
                out[display_path(path)] = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
    from preplint.facts.deps import with_includes

    return with_includes(out, _read_included)


def _read_included(ref: str) -> tuple[str, str] | None:
    """A file named by `-r`/`-c` in a requirements file: read when it is a small local file."""
    path = Path(ref)
    try:
        if not path.is_file() or path.stat().st_size > 4 * 1024 * 1024:
            return None
        return display_path(path), path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _imported_neighbours(item: Parsed, reads: Reads | None = None) -> set[Path]:
    """Sibling modules a file imports (`from config import MODEL_PATH`, `from .layers import X`).

    In a package (a folder with `__init__.py`) only relative imports can name a sibling;
    a script's folder is first on `sys.path`, so there `import config` does, but a
    third-party name (`import numpy`) is taken as the package, not a same-named file.
    """
    if item.facts is None:
        return set()
    is_file = reads.is_file if reads is not None else Path.is_file
    folder = Path(item.path).parent
    modules = set(item.facts.relative_imports)
    if not is_file(folder / "__init__.py"):
        for qual in item.facts.imports.values():
            for module in (qual, qual.rpartition(".")[0]):
                if module and module.split(".", 1)[0] not in _KNOWN_PACKAGES:
                    modules.add(module)
    found: set[Path] = set()
    for module in modules:
        rel = module.replace(".", "/")
        for candidate in (folder / f"{rel}.py", folder / rel / "__init__.py"):
            if is_file(candidate):
                found.add(candidate)
    return found


_KNOWN_PACKAGES = (
    frozenset(sys.stdlib_module_names)
    | fw.ML_MODULE_ROOTS
    | {
        "numpy",
        "pandas",
        "scipy",
        "matplotlib",
        "PIL",
        "cv2",
        "yaml",
        "tqdm",
        "requests",
    }
)


def _artifact_neighbours(
    items: Sequence[Parsed], index: ProjectIndex, reads: Reads | None = None
) -> set[Path]:
    """Scripts beside a file (or one folder up) that name an artifact the file saves or loads,
    or that import the same sibling module (a shared `config.py` holding the paths)."""
    from preplint.analysis.artifacts import artifact_events
    from preplint.facts.paths import basename

    found: set[Path] = set()
    for item in items:
        if item.facts is None:
            continue
        imported = _imported_neighbours(item, reads)
        needles = {f"import {p.stem}".encode() for p in imported if p.stem != "__init__"}
        needles |= {f"from {p.stem} import".encode() for p in imported if p.stem != "__init__"}
        for event in artifact_events(item.facts, index):
            name = basename(event.path)
            if name and "*" not in name:
                needles.add(name.encode())
        if not needles:
            continue
        folder = Path(item.path).parent
        for near in {folder, folder.parent}:
            try:
                siblings = sorted(p for p in near.iterdir() if p.suffix == ".py" and p.is_file())
            except OSError:
                continue
            for sibling in siblings[:_PARTNER_SCAN_LIMIT]:
                if reads is not None:
                    data = reads.data(sibling)
                else:
                    try:
                        data = sibling.read_bytes()
                    except OSError:
                        data = None
                if data is not None and any(n in data for n in needles):
                    found.add(sibling)
    return found


def _extract_new(
    files: set[Path],
    config: Config,
    seen: set[str],
    jobs: int,
    cache: object | None,
    reads: Reads | None = None,
) -> list[Parsed]:
    chosen: dict[str, Path] = {}
    for file in files:
        shown = display_path(file)
        if shown not in seen and not config.excluded(file):
            chosen.setdefault(shown, file)
    if reads is not None:
        for file in chosen.values():
            reads.data(file)  # also those that will not parse: fixing one changes the result
    parsed = extract_all([(f, s) for s, f in sorted(chosen.items())], jobs=jobs, cache=cache)
    # Quietly drop partners that do not parse: they are not what the user asked about.
    return [p for p in parsed if p.facts is not None]


def _partners(
    targets: Sequence[Parsed],
    config: Config,
    jobs: int,
    cache: object | None,
    reads: Reads | None = None,
) -> list[Parsed]:
    """Files beside the targets that they import or share an artifact path with.

    Only the neighbourhood is read (sibling modules, scripts in the same folder or one up), so
    `preplint check one_file.py` stays about as fast as parsing that file; a folder linted as a
    whole links everything inside it anyway.
    """
    seen = {p.path for p in targets}
    found: list[Parsed] = []
    imported = _extract_new(
        set().union(*(_imported_neighbours(p, reads) for p in targets)),
        config,
        seen,
        jobs,
        cache,
        reads,
    )
    found += imported
    seen |= {p.path for p in imported}
    index = ProjectIndex([p.facts for p in (*targets, *found) if p.facts is not None])
    sharing = _extract_new(
        _artifact_neighbours(targets, index, reads), config, seen, jobs, cache, reads
    )
    found += sharing
    seen |= {p.path for p in sharing}
    # What the other side imports: train.py's custom layers module, its config.
    found += _extract_new(
        set().union(*(_imported_neighbours(p, reads) for p in sharing)),
        config,
        seen,
        jobs,
        cache,
        reads,
    )
    return found


# Set by the command line: called with (files done, files to lint) while a run extracts facts.
PROGRESS: Callable[[int, int], None] | None = None

# Partner search is for the few files a pre-commit hook or an editor passes; a long explicit
# list is a selection the user made, linted as given.
PARTNER_SEARCH_MAX_FILES = 64


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
            parts += _neighbourhood_listing(files)
        run_key = cache.run_key(parts, contents)
        hit = cache.get_report(run_key)
        if hit is not None:
            return replace(hit, notes=tuple(notes))
    report_progress = PROGRESS
    if isinstance(cache, FactsCache) and not search_partners:
        report = _lint_incremental(pairs, dict(contents), config, cache, jobs, deps)
        report = replace(report, notes=tuple(notes))
        if run_key is not None and not any(d.code == "INTERNAL" for d in report.diagnostics):
            cache.put_report(run_key, report, [])
        return report
    parsed = extract_all(
        pairs,
        jobs=jobs,
        cache=cache,
        progress=(lambda done: report_progress(done, len(pairs))) if report_progress else None,
    )
    targets = {shown for _, shown in pairs}
    reads = Reads()
    extra = _partners(parsed, config, jobs, cache, reads) if search_partners else []
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


def _lint_incremental(
    pairs: Sequence[tuple[Path, str]],
    contents: dict[str, bytes],
    config: Config,
    cache: FactsCache,
    jobs: int,
    deps: dict[str, str],
) -> Report:
    """A cached run over many files: only the files an edit can reach are linted again
    (see `preplint.pipeline.incremental`)."""
    from preplint import __version__
    from preplint.cache import code_stamp
    from preplint.pipeline import incremental as inc

    rules = selected_rules(config)
    digests = {shown: inc.content_digest(contents[shown]) for _, shown in pairs}
    key = inc.state_key(
        [
            __version__,
            code_stamp(),
            repr(config),
            os.getcwd(),
            " ".join(r.code for r in rules),
            *(f"{path}\0{text}" for path, text in sorted(deps.items())),
        ]
    )
    found = cache.get_state(key, inc.state_classes())
    records = {r.path: r for r in found or () if isinstance(r, inc.FileRecord)}
    order = [shown for _, shown in pairs]
    files = {shown: file for file, shown in pairs}
    todo = [
        (file, shown)
        for file, shown in pairs
        if shown not in records or records[shown].digest != digests[shown]
    ]
    report_progress = PROGRESS
    fresh = {
        p.path: p
        for p in extract_all(
            todo,
            jobs=jobs,
            cache=cache,
            progress=(lambda done: report_progress(done, len(todo))) if report_progress else None,
        )
    }
    load = inc.Loader(files, cache)
    plan = inc.plan(order, order, digests, records, fresh, load, deps)
    index = plan.index
    contribution_uses = index.take_uses()
    work = [fresh[path] if path in fresh else load.parsed(path) for path in plan.rerun]
    per_file = _rules_over(work, index, rules, jobs)
    rule_uses = index.take_uses()
    findings: dict[str, tuple[Diagnostic, ...]] = dict(plan.reused_findings)
    failed: set[str] = set()
    for item, diagnostics in zip(work, per_file, strict=False):
        kept = _kept(item, diagnostics, config)
        findings[item.path] = tuple(kept)
        if any(d.code == "INTERNAL" for d in kept):
            failed.add(item.path)  # not recorded: the next run tries again
    indexed = {s.path for s in index.summaries}
    unindexed = {path: findings.get(path) for path in order if path not in indexed}
    records_out = inc.records_after(
        plan,
        order,
        digests,
        contribution_uses,
        rule_uses,
        {path: f for path, f in findings.items() if path not in failed},
        {path: (None if path in failed else f) for path, f in unindexed.items()},
    )
    cache.put_state(key, records_out)
    diagnostics_all = [d for path in order for d in findings.get(path, ())]
    diagnostics_all.sort(key=lambda d: d.sort_key)
    return Report(files=len(order), diagnostics=tuple(_dedupe(diagnostics_all)))


def _neighbourhood_listing(files: Sequence[Path]) -> list[str]:
    """The .py files a partner search may read: a new one there changes the run's key."""
    folders = {f.parent for f in files} | {f.parent.parent for f in files}
    listing: list[str] = []
    for folder in sorted(folders):
        try:
            listing.extend(sorted(str(p) for p in folder.iterdir() if p.suffix == ".py"))
        except OSError:
            continue
    return listing


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
    extra = _partners([target], config, 1, cache)
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
