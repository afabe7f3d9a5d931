"""Bytes to `Parsed`: decode, prefilter, depth guard, parse, extract; a pool that survives crashes."""

from __future__ import annotations

import contextlib
import os
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preplint.diagnostics import Diagnostic, Span
from preplint.facts import frameworks as fw
from preplint.pipeline.heap import TRIM_AFTER, give_back
from preplint.pipeline.parsed import Parsed
from preplint.pipeline.special import special
from preplint.suppress import Suppressions
from preplint.suppress import parse as parse_suppressions

if TYPE_CHECKING:
    from preplint.facts.model import FileFacts


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
    return special("SYNTAX", path, f"cannot parse: {detail}", Span(line, column, line, column + 1))


def nesting_problem(source: str) -> tuple[str, int] | None:
    """Why CPython would refuse `source` as nested too deeply, and the line; None if it would not.

    Ten thousand unary minus signs or a 50,000-deep attribute chain crash libcst's native
    parser with a segfault. CPython's own parser (fast, C, a small part of a libcst parse)
    rejects the same input with an error, so it is asked first. Other syntax errors are left
    to libcst, which knows newer grammar than the running interpreter may.
    """
    return _python_reading(source, parts=False)[0]


# A file longer than this (in characters) is parsed in parts of about this size: libcst's tree
# takes some 800 bytes of memory per byte of source (a 450 KB test module: 370 MB), and a part's
# tree is let go before the next part is parsed.
PART_SIZE = 48_000


def _python_reading(
    source: str, parts: bool
) -> tuple[tuple[str, int] | None, list[tuple[int, int]]]:
    """`nesting_problem`, and with `parts`, where `source` may be cut for a parse in parts: the
    offsets of the lines that begin top-level statements (none when it is short or CPython
    cannot read it)."""
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except SyntaxError as exc:
        text = str(exc.msg)
        if "nested" in text or "too complex" in text:
            return (f"{text} (Python refuses it too)", max(1, exc.lineno or 1)), []
        return None, []
    except (RecursionError, MemoryError) as exc:
        detail = str(exc) or "the parser's stack overflowed"
        return (f"nested too deeply: {detail} (Python refuses it too)", 1), []
    except ValueError:  # NUL bytes and the like: libcst gives the message
        return None, []
    if not parts or len(source) <= PART_SIZE or "\r" in source:
        return None, []
    return None, _cuts(source, tree.body)


def _cuts(source: str, body: list[Any]) -> list[tuple[int, int]]:
    """(offset, line) where parts of about PART_SIZE begin: each at the first line of a
    top-level statement (its first decorator) that no other statement shares."""
    from preplint.facts.positions import line_starts

    starts = line_starts(source)
    cuts: list[tuple[int, int]] = []
    last = 0  # offset of the last cut (the file's start)
    previous_end = 0  # last line of the statement before
    for stmt in body:
        decorators = getattr(stmt, "decorator_list", None)
        line = decorators[0].lineno if decorators else stmt.lineno
        if line > previous_end and stmt.col_offset == 0 and line <= len(starts):
            offset = starts[line - 1]
            if offset - last >= PART_SIZE:
                cuts.append((offset, line))
                last = offset
        previous_end = max(previous_end, stmt.end_lineno or stmt.lineno)
    return cuts


class _PartRefused(Exception):
    """libcst refused a part of a file that CPython read whole: the file is parsed whole."""


def _parts(source: str, cuts: list[tuple[int, int]]) -> Iterator[tuple[int, Any]]:
    """(first line, libcst module) of each part of `source`, parsed as it is asked for."""
    import libcst as cst

    bounds = [(0, 1), *cuts, (len(source), 0)]
    for (begin, line), (end, _) in pairwise(bounds):
        try:
            module = cst.parse_module(source[begin:end])
        except Exception as exc:
            raise _PartRefused from exc
        yield line, module
        del module


def extract_source(source: str, path: str) -> Parsed:
    """Parse one file's text and extract its facts; never raises."""
    parsed = _extract_source(source, path)
    if len(source) > TRIM_AFTER:
        give_back()  # the tree's pages, which the process would otherwise keep
    return parsed


def _extract_source(source: str, path: str) -> Parsed:
    import libcst as cst

    from preplint.facts.extract import extract, extract_parts, module_name_for

    suppressions = parse_suppressions(source)
    too_deep, cuts = _python_reading(source, parts=True) if _DEPTH_GUARD else (None, [])
    if cuts:
        try:
            return _extracted(
                path,
                suppressions,
                lambda: extract_parts(_parts(source, cuts), path, module_name_for(path), source),
            )
        except _PartRefused:
            pass  # parsed whole below, for the error libcst gives then
    if too_deep is not None:
        message, line = too_deep
        return Parsed(
            path,
            None,
            suppressions,
            special("SYNTAX", path, f"cannot parse: {message}", Span(line, 1, line, 1)),
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
            special("SYNTAX", path, message, Span(line, column, line, column + 1)),
        )
    except (RecursionError, MemoryError) as exc:
        return Parsed(
            path,
            None,
            suppressions,
            special("SYNTAX", path, f"cannot parse: {type(exc).__name__} (too deeply nested)"),
        )
    except Exception as exc:  # libcst raises a few other errors on odd input
        return Parsed(
            path,
            None,
            suppressions,
            special("SYNTAX", path, f"cannot parse: {exc}".replace("\n", " ")[:300]),
        )
    return _extracted(
        path, suppressions, lambda: extract(module, path, module_name_for(path), source)
    )


def _extracted(path: str, suppressions: Suppressions, walk: Callable[[], FileFacts]) -> Parsed:
    """`walk()`'s facts, or the problem it met (a part libcst refused goes on up)."""
    try:
        facts = walk()
    except _PartRefused:
        raise
    except RecursionError:
        return Parsed(
            path,
            None,
            suppressions,
            special("SYNTAX", path, "cannot analyse: expression nested too deeply"),
        )
    except Exception as exc:
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return Parsed(
            path,
            None,
            suppressions,
            special("INTERNAL", path, f"internal error while extracting facts: {detail}"),
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
            special("SYNTAX", shown, f"cannot read file: {exc.strerror or exc}"),
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
                shown, None, empty, special("SYNTAX", shown, f"cannot read notebook: {exc}")
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
    return special("SYNTAX", shown, f"cannot decode file: {exc}")


def _byte_problem(data: bytes, offset: int, shown: str, reason: str) -> Diagnostic:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return special(
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
# Stands in for a result already handed to `deliver`.
_DELIVERED = Parsed("", None, Suppressions({}, frozenset()))


def _extract_pooled(
    args: list[tuple[str, str, bool]],
    jobs: int,
    context: Any,
    progress: Callable[[int], None] | None = None,
    before: int = 0,
    deliver: Callable[[Parsed], None] | None = None,
) -> dict[str, Parsed]:
    """Extract in a process pool; a worker that dies costs only the file it held.

    The files it held are each run alone in a fresh process (and reported if that one dies
    too), the rest go to a new pool. Each result is handed to `deliver` as it arrives (the
    returned mapping then holds None in its place, so results do not pile up).
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
                # A future keeps its result: each is dropped once delivered, or a run would
                # hold every file's facts until the pool ends.
                futures = deque(pool.submit(_extract_job, a) for a in remaining)
                while futures:
                    future = futures.popleft()
                    try:
                        parsed = future.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    results[parsed.path] = parsed
                    if deliver is not None:
                        deliver(parsed)
                        results[parsed.path] = _DELIVERED
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
                results[a[1]] = _alone(a, context, deliver)
        remaining = [a for a in remaining if a[1] not in results]
    for a in remaining:  # pools kept dying: one process per file
        results[a[1]] = _alone(a, context, deliver)
    return results


def _alone(
    args: tuple[str, str, bool], context: Any, deliver: Callable[[Parsed], None] | None
) -> Parsed:
    parsed = _extract_alone(args, context)
    if deliver is None:
        return parsed
    deliver(parsed)
    return _DELIVERED


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
        special(
            "INTERNAL",
            shown,
            f"the parser process died on this file ({how}); its findings are missing",
        ),
    )


def _alone_job(args: tuple[str, str, bool], writer: Any) -> None:
    writer.send(_extract_job(args))
    writer.close()


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
    keep: Callable[[Parsed], Parsed] | None = None,
) -> list[Parsed]:
    """Extract facts for many files, in a process pool when it pays, from the cache when it can.

    `progress(done)` is called as files are done (the command line shows it on a terminal).
    `keep(parsed)` is called on each result as it arrives (after it is cached) and what it
    returns is what the run holds (a `FactsStore` keeps the facts on disk instead).
    """
    from preplint.cache import FactsCache

    results: dict[str, Parsed] = {}
    todo: list[tuple[Path, str]] = []
    fc = cache if isinstance(cache, FactsCache) else None
    files_by_shown = {shown: file for file, shown in files}

    def arrived(parsed: Parsed, fresh: bool) -> None:
        problem = parsed.problem
        # A killed worker may not be the file's fault: that result is not cached.
        if fresh and fc is not None and (problem is None or problem.code != "INTERNAL"):
            fc.put(files_by_shown[parsed.path], parsed)
        results[parsed.path] = keep(parsed) if keep is not None else parsed

    for file, shown in files:
        hit = fc.get(file, shown) if fc is not None else None
        if hit is not None:
            arrived(hit, False)
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
        _extract_pooled(args, jobs, context, progress, len(results), lambda p: arrived(p, True))
    else:
        for file, shown in todo:
            arrived(extract_file(file, shown, prefilter=prefilter), True)
            if progress is not None:
                progress(len(results))
    return [results[shown] for _, shown in files]
