"""Benchmark preplint on a pinned real-world corpus against a bare libcst parse loop; write RESULTS.md."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import importlib.util
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # preplint itself depends on tomli there
    import tomli as tomllib

from corpus import PACKAGES, all_py_files, count_lines, default_cache_dir, fetch_corpus, ml_scripts

BENCH_DIR = Path(__file__).resolve().parent
PARSE_LOOP = BENCH_DIR / "parse_loop.py"
DEFAULT_OUTPUT = BENCH_DIR / "RESULTS.md"
PREPLINT_OK = (0, 1)  # 0 clean, 1 findings; 2 is an error
OTHER_TOOLS = ("fixit", "torchfix")


# ---------------------------------------------------------------- measuring one process


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds, from spawn to reaped
    cpu: float  # user + system seconds of the process and its reaped descendants
    maxrss_kib: int  # peak RSS of the process and its reaped descendants
    returncode: int


@dataclass
class Measurement:
    name: str
    label: str
    samples: list[Sample] = field(default_factory=list)
    ok_codes: tuple[int, ...] | None = PREPLINT_OK  # None: any exit status is fine
    stdout: bytes = b""  # of the last run
    stderr: bytes = b""
    tracebacks: int = 0  # runs whose stderr contained a Python traceback
    bad_runs: list[str] = field(default_factory=list)  # warm-up included, with kept output

    @property
    def median(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def median_cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def peak_mib(self) -> float:
        return max(s.maxrss_kib for s in self.samples) / 1024

    @property
    def failed(self) -> bool:
        if self.ok_codes is None:
            return False
        return any(s.returncode not in self.ok_codes for s in self.samples)


def run_once(
    cmd: Sequence[str], cwd: Path, env: dict[str, str], scratch: Path
) -> tuple[Sample, bytes, bytes]:
    """Run `cmd` once; return its wall time, peak RSS, exit status, stdout and stderr.

    Output goes to files, not pipes, so no reader thread competes with the child for the
    two cores. `os.wait4` reports the rusage of this one child, and Linux folds into it the
    rusage of every descendant the child waited for: a process pool's workers count too.
    """
    out_path, err_path = scratch / "stdout", scratch / "stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # tells Popen the child is reaped
    cpu = usage.ru_utime + usage.ru_stime
    sample = Sample(wall=wall, cpu=cpu, maxrss_kib=usage.ru_maxrss, returncode=proc.returncode)
    return sample, out_path.read_bytes(), err_path.read_bytes()


def measure(
    m: Measurement,
    cmd: Sequence[str],
    *,
    runs: int,
    cwd: Path,
    env: dict[str, str],
    scratch: Path,
    keep: Path,
) -> Measurement:
    """Time `runs` runs of `cmd` after one untimed warm-up run (page cache, .pyc files).

    The output of a run with a bad exit status is kept in `keep` for a look afterwards.
    """
    for i in range(runs + 1):
        tag = f"run {i}/{runs}" if i else "warm-up"
        sample, m.stdout, m.stderr = run_once(cmd, cwd, env, scratch)
        if b"Traceback (most recent call last)" in m.stderr:
            m.tracebacks += 1
        if i > 0:
            m.samples.append(sample)
        print(
            f"  {m.name}: {tag} {sample.wall:.2f} s (CPU {sample.cpu:.2f} s), "
            f"{sample.maxrss_kib / 1024:.0f} MiB, exit {sample.returncode}",
            file=sys.stderr,
            flush=True,
        )
        if m.ok_codes is not None and sample.returncode not in m.ok_codes:
            stem = keep / f"{m.name.replace(' ', '-')}-{'warmup' if i == 0 else i}"
            keep.mkdir(parents=True, exist_ok=True)
            stem.with_suffix(".stdout").write_bytes(m.stdout)
            stem.with_suffix(".stderr").write_bytes(m.stderr)
            m.bad_runs.append(f"{tag} exited {sample.returncode} (output in `{stem}.*`)")
            print(_tail(m.stderr), file=sys.stderr)
    return m


def _tail(data: bytes, lines: int = 15) -> str:
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


# ---------------------------------------------------------------- the benchmark plan


@dataclass
class Context:
    args: argparse.Namespace
    preplint: list[str]
    root: Path  # corpus folder; commands run here with paths relative to it
    files: list[str]
    scratch: Path
    env: dict[str, str]


@dataclass(frozen=True)
class Ratio:
    label: str
    value: float | None  # wall-time (or memory) ratio; None when a command it needs failed
    target: float
    cpu_value: float | None = None  # the same ratio over CPU time, for a loaded machine

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "n/a"
        return "PASS" if self.value <= self.target else "FAIL"


def preplint_env(base: dict[str, str], cache_dir: Path) -> dict[str, str]:
    env = dict(base)
    env["PREPLINT_CACHE_DIR"] = str(cache_dir)
    return env


def timed(
    ctx: Context, m: Measurement, cmd: list[str], env: dict[str, str] | None = None
) -> Measurement:
    return measure(
        m,
        cmd,
        runs=ctx.args.runs,
        cwd=ctx.root,
        env=env or ctx.env,
        scratch=ctx.scratch,
        keep=ctx.args.cache_dir / "failures",
    )


def timed_preplint(ctx: Context, m: Measurement, args: list[str]) -> tuple[Measurement, Path]:
    """Time `preplint ARGS` with a fresh cache folder of its own, returned for inspection."""
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=ctx.scratch))
    args = [a.replace("{cache}", str(cache)) for a in args]
    return timed(ctx, m, [*ctx.preplint, "check", *args], preplint_env(ctx.env, cache)), cache


def bench_cold(ctx: Context) -> tuple[Measurement, Path]:
    label = f"preplint check --no-cache --format json <{len(ctx.files)} files>"
    m = Measurement("preplint cold", label)
    return timed_preplint(ctx, m, ["--no-cache", "--format", "json", *ctx.files])


def bench_warm(ctx: Context) -> tuple[Measurement, Path]:
    # The untimed warm-up run is the one that fills the cache.
    label = f"preplint check --format json --cache-dir TMP <{len(ctx.files)} files>"
    m = Measurement("preplint warm", label)
    return timed_preplint(ctx, m, ["--format", "json", "--cache-dir", "{cache}", *ctx.files])


def bench_one_file(ctx: Context, path: str) -> Measurement:
    label = "preplint check --no-cache --format json <median-size file>"
    m = Measurement("preplint one file", label)
    return timed_preplint(ctx, m, ["--no-cache", "--format", "json", path])[0]


def bench_parse_loop(ctx: Context) -> Measurement:
    label = f"bench/parse_loop.py <{len(ctx.files)} files> (1 process)"
    m = Measurement("libcst parse loop", label, ok_codes=(0,))
    return timed(ctx, m, [sys.executable, str(PARSE_LOOP), *ctx.files])


def bench_import_libcst(ctx: Context) -> Measurement:
    m = Measurement("import libcst", 'python -c "import libcst"', ok_codes=(0,))
    return timed(ctx, m, [sys.executable, "-c", "import libcst"])


def bench_others(ctx: Context, tools: list[OtherTool]) -> list[Measurement]:
    results = []
    for tool in tools:
        sub = ["lint"] if tool.name == "fixit" else []
        label = f"{shlex.join([tool.name, *sub])} <{len(ctx.files)} files>"
        # Their exit status says whether they found something; only the time matters here.
        m = Measurement(tool.name, label, ok_codes=None)
        runs = ctx.args.others_runs or ctx.args.runs
        results.append(
            measure(
                m,
                [str(tool.exe), *sub, *ctx.files],
                runs=runs,
                cwd=ctx.root,
                env=ctx.env,
                scratch=ctx.scratch,
                keep=ctx.args.cache_dir / "failures",
            )
        )
    return results


def ratios(
    cold: Measurement, warm: Measurement, one: Measurement, parse: Measurement, imp: Measurement
) -> list[Ratio]:
    def timed(label: str, num: Measurement, den: Measurement, target: float) -> Ratio:
        if num.failed or den.failed:
            return Ratio(label, None, target)
        return Ratio(label, num.median / den.median, target, num.median_cpu / den.median_cpu)

    memory = None if cold.failed or parse.failed else cold.peak_mib / parse.peak_mib
    return [
        timed("cold preplint / bare parse loop (time)", cold, parse, 1.0),
        timed("warm / cold (time)", warm, cold, 0.05),
        timed('one file / python -c "import libcst" (time)', one, imp, 2.0),
        Ratio("peak RSS cold preplint / peak RSS parse loop", memory, 1.5),
    ]


# ---------------------------------------------------------------- other linters


@dataclass(frozen=True)
class OtherTool:
    name: str
    exe: Path
    version: str


def find_other_tools(cache_dir: Path, install: bool) -> list[OtherTool]:
    """Fixit and TorchFix executables: from venvs under the cache (--with-others) or PATH."""
    found = []
    for name in OTHER_TOOLS:
        exe = _venv_tool(cache_dir / "venvs" / name, name) if install else _path_tool(name)
        if exe is None:
            how = "its venv could not be set up" if install else "not installed (use --with-others)"
            print(f"skipping {name}: {how}", file=sys.stderr)
        else:
            found.append(OtherTool(name, exe, _tool_version(exe)))
    return found


def _tool_version(exe: Path) -> str:
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    lines = (proc.stdout or proc.stderr).strip().splitlines()
    version = lines[0] if proc.returncode == 0 and lines else "version unknown"
    # A venv's own libcst may differ from ours (TorchFix pins an older one), which moves times.
    python = exe.parent / "python"
    if python.exists():
        query = "import importlib.metadata as m; print(m.version('libcst'))"
        libcst = subprocess.run([str(python), "-c", query], capture_output=True, text=True)
        if libcst.returncode == 0:
            version += f", libcst {libcst.stdout.strip()}"
    return version


def _path_tool(name: str) -> Path | None:
    exe = shutil.which(name)
    return Path(exe) if exe else None


def _venv_tool(venv: Path, name: str) -> Path | None:
    exe = venv / "bin" / name
    if exe.exists():
        return exe
    print(f"setting up a venv with {name} in {venv} ...", file=sys.stderr, flush=True)
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", name],
    ]
    for step in steps:
        proc = subprocess.run(step, capture_output=True, text=True)
        if proc.returncode != 0:
            print(
                f"  {' '.join(step[:4])} failed:\n{_tail((proc.stdout + proc.stderr).encode())}",
                file=sys.stderr,
            )
            return None
    return exe if exe.exists() else None


# ---------------------------------------------------------------- the --full corpus check


@dataclass
class FullRun:
    jobs: int
    sample: Sample
    stdout: bytes
    stderr: bytes
    codes: Counter[str]
    parsed: bool  # stdout was JSON we understood
    files_reported: int | None

    @property
    def traceback(self) -> bool:
        return b"Traceback" in self.stderr


def diagnostics_of(payload: Any) -> list[dict[str, Any]]:
    """The list of diagnostic objects in preplint's JSON, whether bare or wrapped."""
    if isinstance(payload, list):
        return [d for d in payload if isinstance(d, dict)]
    if isinstance(payload, dict) and isinstance(payload.get("diagnostics"), list):
        return [d for d in payload["diagnostics"] if isinstance(d, dict)]
    raise ValueError("no diagnostics list in the JSON output")


def files_of(payload: Any) -> int | None:
    """The count of files read, from the JSON's top level or its summary."""
    if not isinstance(payload, dict):
        return None
    for holder in (payload, payload.get("summary")):
        if isinstance(holder, dict) and isinstance(holder.get("files"), int):
            return int(holder["files"])
    return None


def full_check(ctx: Context, files: list[str], jobs: int) -> FullRun:
    cache = Path(tempfile.mkdtemp(prefix=f"full-{jobs}-cache-", dir=ctx.scratch))
    cmd = [*ctx.preplint, "check", "--no-cache", "--format", "json", "--jobs", str(jobs), *files]
    sample, out, err = run_once(cmd, ctx.root, preplint_env(ctx.env, cache), ctx.scratch)
    print(
        f"  full corpus --jobs {jobs}: {sample.wall:.1f} s (CPU {sample.cpu:.1f} s), "
        f"{sample.maxrss_kib / 1024:.0f} MiB, "
        f"exit {sample.returncode}",
        file=sys.stderr,
        flush=True,
    )
    (ctx.args.cache_dir / f"full-jobs{jobs}.json").write_bytes(out)
    (ctx.args.cache_dir / f"full-jobs{jobs}.stderr").write_bytes(err)
    codes: Counter[str] = Counter()
    parsed, files_reported = False, None
    try:
        payload = json.loads(out)
        codes.update(str(d.get("code")) for d in diagnostics_of(payload))
        parsed = True
        files_reported = files_of(payload)
    except ValueError as exc:
        print(f"  could not read the JSON output: {exc}\n{_tail(err)}", file=sys.stderr)
    return FullRun(jobs, sample, out, err, codes, parsed, files_reported)


# ---------------------------------------------------------------- describing the machine


def machine_description() -> list[tuple[str, str]]:
    return [
        ("CPU", _cpu_model()),
        ("cores", f"{os.cpu_count()} ({len(os.sched_getaffinity(0))} usable)"),
        ("memory", _mem_total()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("libcst", _version("libcst")),
        ("preplint", f"{_version('preplint')}, {_preplint_source()}"),
        ("date", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
    ]


def _preplint_source() -> str:
    """Which preplint code ran: the commit of its checkout, and whether it had local changes."""
    spec = importlib.util.find_spec("preplint")
    if spec is None or spec.origin is None:
        return "source unknown"
    package = Path(spec.origin).parent

    def git(*args: str) -> str:
        proc = subprocess.run(["git", "-C", str(package), *args], capture_output=True, text=True)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    # The last commit that touched the package, not HEAD: other commits change no code run here.
    commit = git("log", "-1", "--format=%h", "--", ".")
    if not commit:
        return f"from {package}"
    dirty = git("status", "--porcelain", "--", ".")
    return f"commit {commit}" + (" plus uncommitted changes" if dirty else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError):
        pass
    return "unknown"


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


# ---------------------------------------------------------------- the report


@dataclass
class Report:
    invocation: str
    machine: list[tuple[str, str]]
    corpus_lines: list[str]
    measurements: list[Measurement]
    ratios: list[Ratio]
    runs: int
    notes: list[str]
    full: list[FullRun] = field(default_factory=list)
    full_files: int = 0


def results_table(report: Report) -> list[str]:
    rows = [
        "| command | what | median s | min s | max s | median CPU s | peak RSS MiB | exit |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for m in report.measurements:
        walls = [s.wall for s in m.samples]
        codes = ",".join(sorted({str(s.returncode) for s in m.samples}))
        status = f"{codes} ERROR" if m.failed else codes
        rows.append(
            f"| {m.name} | `{m.label}` | {m.median:.3f} | {min(walls):.3f} | {max(walls):.3f} "
            f"| {m.median_cpu:.3f} | {m.peak_mib:.0f} | {status} |"
        )
    return rows


def ratio_table(report: Report) -> list[str]:
    rows = [
        "| ratio | value | target | result | same ratio of CPU times |",
        "|---|---:|---:|---|---:|",
    ]
    for r in report.ratios:
        value = "n/a" if r.value is None else f"{r.value:.3f}"
        cpu = "" if r.cpu_value is None else f"{r.cpu_value:.3f}"
        rows.append(f"| {r.label} | {value} | ≤ {r.target:g} | {r.verdict} | {cpu} |")
    return rows


def full_section(report: Report) -> list[str]:
    if not report.full:
        return []
    lines = [
        "",
        f"## Full corpus: every .py file ({report.full_files} files), one run each",
        "",
        "| jobs | wall s | CPU s | peak RSS MiB | exit | files reported | diagnostics | INTERNAL | SYNTAX | Traceback in stderr |",
        "|---:|---:|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for run in report.full:
        total = sum(run.codes.values()) if run.parsed else "unreadable JSON"
        lines.append(
            f"| {run.jobs} | {run.sample.wall:.1f} | {run.sample.cpu:.1f} | {run.sample.maxrss_kib / 1024:.0f} | {run.sample.returncode} "
            f"| {run.files_reported if run.files_reported is not None else '-'} | {total} "
            f"| {run.codes.get('INTERNAL', 0)} | {run.codes.get('SYNTAX', 0)} | {'yes' if run.traceback else 'no'} |"
        )
    identical = len({run.stdout for run in report.full}) == 1
    lines += [
        "",
        f"JSON outputs of all `--jobs` values byte-identical: **{'yes' if identical else 'no'}**",
    ]
    if len(report.full) == 2:
        first, second = report.full
        speedup = first.sample.wall / second.sample.wall
        lines += [
            "",
            f"Speed-up of `--jobs {second.jobs}` over `--jobs {first.jobs}`: {speedup:.2f}x",
        ]
    codes = report.full[0].codes
    if codes:
        lines += [
            "",
            f"Diagnostics by code (`--jobs {report.full[0].jobs}`):",
            "",
            "| code | count |",
            "|---|---:|",
        ]
        lines += [f"| {code} | {count} |" for code, count in sorted(codes.items())]
    return lines


def render(report: Report) -> str:
    lines = [
        "# preplint benchmark results",
        "",
        f"Written by `{report.invocation}`.",
        "",
        "## Machine",
        "",
        *[f"- {key}: {value}" for key, value in report.machine],
        "",
        "## Corpus",
        "",
        *report.corpus_lines,
        "",
        f"## Timings (median of {report.runs} runs, each command after one untimed warm-up run)",
        "",
        *results_table(report),
        "",
        "## Ratios",
        "",
        *ratio_table(report),
        *full_section(report),
        "",
        "## How it is measured",
        "",
        "- Wall time: from spawning the process to reaping it, so interpreter start-up and imports count.",
        "- CPU time: user + system time of the process and the descendants it reaped (`os.wait4`);",
        "  less sensitive than wall time to other load on the machine, but blind to parallelism.",
        "- Peak RSS: `ru_maxrss` from `os.wait4` on the command's process. Linux folds into it the",
        "  `ru_maxrss` of every descendant that process waited for, so for a process pool it is the",
        "  largest of the main process and its workers (not their sum). A worker never reaped by",
        "  its parent would be missed.",
        "- preplint runs as `python -m preplint` with the corpus folder as working directory and",
        "  relative paths; `PREPLINT_CACHE_DIR` points at a fresh temporary folder for every command.",
        "- Warm: the warm-up run fills a fresh `--cache-dir`; the timed runs then read it.",
        "- Ratio verdicts are information: they do not change the script's exit status.",
        *[f"- {note}" for note in report.notes],
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- --incremental

INCREMENTAL_HEADING = "## Re-lint after one edit (--incremental)"
MEMORY_HEADING = "## Peak memory of a cold run over the full corpus (--memory)"
# The scenario that creates a cross-file artifact link: a script of the same package starts
# loading what a test saves. Both files are in the ml-scripts subset of the pinned corpus.
LINK_SAVER = "timm-1.0.31/tests/test_task.py"
LINK_ARTIFACT = "teacher.pth"
LINK_LOADER = "timm-1.0.31/tests/test_utils.py"


def module_names(relative: str) -> list[str]:
    """Dotted names a corpus file can be imported as: below its sdist folder, and below `src/`."""
    parts = relative.split("/")[1:]
    if not parts or not parts[-1].endswith(".py"):
        return []
    parts[-1] = parts[-1][: -len(".py")]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    names = [".".join(parts)] if parts else []
    if len(parts) > 1 and parts[0] == "src":
        names.append(".".join(parts[1:]))
    return names


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Every dotted name an import statement of `source` may refer to (module or module.attr)."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                up = node.level - 1
                if up > len(package):
                    continue
                base_parts = package[: len(package) - up] if up else package
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            if not base:
                continue
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def import_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """relative path -> the other files of `sources` it imports (by module name)."""
    by_name: dict[str, str] = {}
    for path in sorted(sources):
        for name in module_names(path):
            by_name.setdefault(name, path)
    graph: dict[str, set[str]] = {}
    for path, source in sources.items():
        names = module_names(path)
        targets: set[str] = set()
        if names:
            package = path.endswith("/__init__.py")
            for dotted in imported_modules(source, names[0], package):
                target = by_name.get(dotted)
                if target is not None and target != path:
                    targets.add(target)
        graph[path] = targets
    return graph


def middle_file(graph: dict[str, set[str]]) -> str:
    """The file most in the middle of the graph: imported by others and importing others.

    Ranked by the smaller of its in- and out-degree, then by their sum, then by path.
    """
    importers: Counter[str] = Counter()
    for targets in graph.values():
        importers.update(targets)

    def rank(path: str) -> tuple[int, int, str]:
        ins, outs = importers[path], len(graph[path])
        return (-min(ins, outs), -(ins + outs), path)

    return min(graph, key=rank)


def edit_comment(source: str, n: int) -> str:
    """Append one comment line (line numbers of everything else stay the same)."""
    newline = "" if not source or source.endswith("\n") else "\n"
    return f"{source}{newline}# bench edit {n}\n"


def constant_site(source: str) -> tuple[int, int, int, int] | None:
    """(line, start byte, end byte, value) of the int literal a constant edit changes.

    The first module-level `NAME = <int>`; failing that, the first int literal of the file
    (not a bool, on one line), in source order. None when the file has none or does not parse.
    """
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None

    def site(value: ast.expr | None) -> tuple[int, int, int, int] | None:
        if (
            isinstance(value, ast.Constant)
            and type(value.value) is int
            and value.lineno == value.end_lineno
            and value.end_col_offset is not None
        ):
            return (value.lineno, value.col_offset, value.end_col_offset, value.value)
        return None

    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            found = site(node.value)
            if found is not None:
                return found
    anywhere = [
        found
        for node in ast.walk(tree)
        if isinstance(node, ast.expr) and (found := site(node)) is not None
    ]
    return min(anywhere) if anywhere else None


def edit_constant(source: str, n: int) -> str | None:
    """Add `n` to the int literal `constant_site` picks; None when there is none."""
    found = constant_site(source)
    if found is None:
        return None
    line_no, start, end, value = found
    lines = source.splitlines(keepends=True)
    raw = lines[line_no - 1].encode("utf-8", "surrogateescape")  # ast offsets count bytes
    edited = raw[:start] + str(value + n).encode() + raw[end:]
    lines[line_no - 1] = edited.decode("utf-8", "surrogateescape")
    return "".join(lines)


def edit_link(source: str, n: int, artifact: str) -> str:
    """Append a load of `artifact`: the file becomes a partner of the script that saves it."""
    newline = "" if not source or source.endswith("\n") else "\n"
    return (
        f"{source}{newline}import torch as _bench_torch_{n}\n"
        f"_bench_state_{n} = _bench_torch_{n}.load({artifact!r}, weights_only=True)\n"
    )


@dataclass
class Scenario:
    name: str
    file: str  # relative path of the edited file
    how: str
    samples: list[Sample] = field(default_factory=list)
    identical: bool | None = None  # last post-edit output == --no-cache output on that tree
    reverted_identical: bool | None = None  # output after undoing the edit == cold output
    diagnostics_delta: int | None = None  # diagnostics after the edit minus cold
    reference: Sample | None = None  # the --no-cache run on the edited tree, right after

    @property
    def median(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def median_cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)


@dataclass
class IncrementalResult:
    files: int
    lines: int
    middle: str
    in_degree: int
    out_degree: int
    cold: Measurement
    fill: Sample
    warm: Measurement
    scenarios: list[Scenario]
    load: tuple[float, float]
    notes: list[str] = field(default_factory=list)


def _count_diagnostics(output: bytes) -> int | None:
    try:
        return len(diagnostics_of(json.loads(output)))
    except ValueError:
        return None


def copy_tree(root: Path, files: list[str], dest: Path) -> None:
    """Copy `files` (relative to `root`) and their sdists' project markers into `dest`."""
    tops = sorted({f.split("/", 1)[0] for f in files})
    for relative in [*files, *(f"{t}/{m}" for t in tops for m in ("pyproject.toml", "setup.cfg"))]:
        source = root / relative
        if source.is_file():
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def run_incremental(ctx: Context) -> IncrementalResult:
    """Cold, warm and one-edit runs on a copy of the timed set, with output checks."""
    tree = ctx.scratch / "tree"
    copy_tree(ctx.root, ctx.files, tree)
    cache = ctx.scratch / "incremental-cache"
    env = preplint_env(ctx.env, cache)
    keep = ctx.args.cache_dir / "failures"
    cached = [*ctx.preplint, "check", "--format", "json", "--cache-dir", str(cache), *ctx.files]
    uncached = [*ctx.preplint, "check", "--no-cache", "--format", "json", *ctx.files]
    # Bytes, not read_text: universal newlines would turn a CRLF file into another file.
    sources = {f: (tree / f).read_bytes().decode("utf-8", "surrogateescape") for f in ctx.files}
    graph = import_graph(sources)
    middle = middle_file(graph)
    in_degree = sum(middle in targets for targets in graph.values())
    notes: list[str] = []
    load_before = os.getloadavg()[0]

    def once(label: str, cmd: list[str]) -> tuple[Sample, bytes]:
        sample, out, err = run_once(cmd, tree, env, ctx.scratch)
        print(
            f"  {label}: {sample.wall:.2f} s (CPU {sample.cpu:.2f} s), exit {sample.returncode}",
            file=sys.stderr,
            flush=True,
        )
        if sample.returncode not in PREPLINT_OK:
            notes.append(f"{label} exited {sample.returncode}: {_tail(err, 3)}")
        return sample, out

    print(f"incremental: {len(ctx.files)} files copied to {tree}", file=sys.stderr)
    cold = measure(
        Measurement("cold", f"preplint check --no-cache --format json <{len(ctx.files)} files>"),
        uncached,
        runs=ctx.args.runs,
        cwd=tree,
        env=env,
        scratch=ctx.scratch,
        keep=keep,
    )
    shutil.rmtree(cache, ignore_errors=True)
    fill, fill_out = once("first run, empty cache", cached)
    if fill_out != cold.stdout:
        notes.append("the first cached run's output differs from the --no-cache output.")
    warm = measure(
        Measurement("warm", "the same with --cache-dir, nothing changed"),
        cached,
        runs=ctx.args.runs,
        cwd=tree,
        env=env,
        scratch=ctx.scratch,
        keep=keep,
    )
    if warm.stdout != cold.stdout:
        notes.append("the warm output differs from the cold output.")

    scenarios: list[tuple[Scenario, Any]] = [
        (Scenario("comment", middle, "append a comment line"), edit_comment),
    ]
    site = constant_site(sources[middle])
    if site is not None:
        how = f"add N to the int literal on line {site[0]}, `{site[3]}`"
        scenarios.append((Scenario("constant", middle, how), edit_constant))
    else:
        notes.append(f"`{middle}` has no int literal: the constant edit is skipped.")
    if LINK_LOADER in sources and LINK_SAVER in sources and LINK_ARTIFACT in sources[LINK_SAVER]:
        how = f"append `torch.load({LINK_ARTIFACT!r})`, which `{LINK_SAVER}` saves"
        scenarios.append(
            (Scenario("new link", LINK_LOADER, how), lambda s, n: edit_link(s, n, LINK_ARTIFACT))
        )
    else:
        notes.append(
            f"the new-link edit needs `{LINK_SAVER}` (saving {LINK_ARTIFACT}) and `{LINK_LOADER}` "
            "in the timed set: skipped."
        )

    for scenario, edit in scenarios:
        path = tree / scenario.file
        original = sources[scenario.file]
        out = b""
        undone: list[bool] = []  # each undo's output equals the cold output
        for n in range(1, ctx.args.runs + 1):
            # Back to the cached original first, so every sample is one edit away from a warm cache.
            path.write_bytes(original.encode("utf-8", "surrogateescape"))
            _, back = once(f"{scenario.name}: undo edit", cached)
            undone.append(back == cold.stdout)
            path.write_bytes(edit(original, n).encode("utf-8", "surrogateescape"))
            sample, out = once(f"{scenario.name}: edit {n}/{ctx.args.runs}", cached)
            scenario.samples.append(sample)
        scenario.reference, reference = once(
            f"{scenario.name}: --no-cache on the edited tree", uncached
        )
        scenario.identical = out == reference
        cold_count, edit_count = _count_diagnostics(cold.stdout), _count_diagnostics(out)
        if cold_count is not None and edit_count is not None:
            scenario.diagnostics_delta = edit_count - cold_count
        path.write_bytes(original.encode("utf-8", "surrogateescape"))
        _, back = once(f"{scenario.name}: undo edit", cached)
        undone.append(back == cold.stdout)
        scenario.reverted_identical = all(undone)

    files = [tree / f for f in ctx.files]
    return IncrementalResult(
        files=len(ctx.files),
        lines=count_lines(files),
        middle=middle,
        in_degree=in_degree,
        out_degree=len(graph[middle]),
        cold=cold,
        fill=fill,
        warm=warm,
        scenarios=[s for s, _ in scenarios],
        load=(load_before, os.getloadavg()[0]),
        notes=notes,
    )


def yes_no(value: bool | None) -> str:
    return "n/a" if value is None else ("yes" if value else "**no**")


def incremental_section(result: IncrementalResult, subset: str) -> list[str]:
    cold = result.cold
    lines = [
        INCREMENTAL_HEADING,
        "",
        f"Timed set: the {subset} ({result.files} files, {result.lines} lines), copied with "
        "their sdists' `pyproject.toml`/`setup.cfg` into a scratch folder; every command runs "
        "there with paths relative to it. Edited file for the one-line edits: "
        f"`{result.middle}` (imported by {result.in_degree} and importing {result.out_degree} "
        "files of the set: the middle of its import graph).",
        "",
        "| run | median s | median CPU s | runs | / cold (time) | / cold (CPU) | target | result "
        "| / `--no-cache` right after (time, CPU) "
        "| output = `--no-cache` on the same tree | output after undoing = cold |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---|---|",
        f"| cold (`--no-cache`) | {cold.median:.3f} | {cold.median_cpu:.3f} | {len(cold.samples)} "
        "| 1 | 1 | | | | | |",
        f"| first run, empty cache | {result.fill.wall:.3f} | {result.fill.cpu:.3f} | 1 "
        f"| {result.fill.wall / cold.median:.3f} | {result.fill.cpu / cold.median_cpu:.3f} "
        "| | | | | |",
        f"| warm, nothing changed | {result.warm.median:.3f} | {result.warm.median_cpu:.3f} "
        f"| {len(result.warm.samples)} | {result.warm.median / cold.median:.3f} "
        f"| {result.warm.median_cpu / cold.median_cpu:.3f} | | | | "
        f"{yes_no(result.warm.stdout == cold.stdout)} | |",
    ]
    for s in result.scenarios:
        ratio = s.median / cold.median
        verdict = "PASS" if ratio <= 0.05 else "FAIL"
        near = (
            f"{s.median / s.reference.wall:.3f}, {s.median_cpu / s.reference.cpu:.3f}"
            if s.reference is not None and s.reference.wall and s.reference.cpu
            else "n/a"
        )
        lines.append(
            f"| edit: {s.name} (`{s.file}`: {s.how}) | {s.median:.3f} | {s.median_cpu:.3f} "
            f"| {len(s.samples)} | {ratio:.3f} | {s.median_cpu / cold.median_cpu:.3f} | ≤ 0.05 "
            f"| {verdict} | {near} | {yes_no(s.identical)} | {yes_no(s.reverted_identical)} |"
        )
    lines += [
        "",
        "- Each edit sample starts from the original tree re-linted with the cache (untimed), "
        "then changes the one file (edit N uses a new text each time, so no cache entry "
        "matches it) and times one cached run. The last sample's output is compared byte for "
        "byte with a `--no-cache` run on the same edited tree; undoing the edit must give the "
        "cold output again. The `--no-cache` run right after is a cold run under the same "
        "load as the edit samples: the ratio to it is the one to trust when the load changed "
        "during the script.",
        *(
            f"- {s.name}: diagnostics after the edit minus cold: {s.diagnostics_delta:+d}."
            for s in result.scenarios
            if s.diagnostics_delta is not None
        ),
        f"- 1-minute load average {result.load[0]:.2f} at the start, {result.load[1]:.2f} "
        "at the end: times (not ratios of CPU times) grow with other work on the machine.",
        *(f"- {note}" for note in result.notes),
    ]
    return lines


# ---------------------------------------------------------------- --memory


def _proc_children(pid: int) -> list[int]:
    """Child process ids of `pid`, from /proc/PID/task/*/children."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
        except OSError:
            continue
        found.extend(int(x) for x in text.split())
    return found


def proc_tree(pid: int) -> list[int]:
    """`pid` and all its descendants alive now."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(_proc_children(current))
    return tree


def status_kib(text: str, key: str) -> int | None:
    """The value in KiB of a `Key:   123 kB` line of /proc/PID/status or smaps_rollup."""
    for line in text.splitlines():
        if line.startswith(key + ":"):
            fields = line.split()
            if len(fields) >= 2 and fields[1].isdigit():
                return int(fields[1])
    return None


@dataclass
class TreeMemory:
    """What a sampling loop saw of a process tree's memory."""

    peak_rss_sum_kib: int = 0  # largest sum of VmRSS over the tree at one sample
    peak_pss_sum_kib: int = 0  # the same with Pss (shared pages split between sharers)
    peak_processes: int = 0  # most processes alive in the tree at one sample
    hwm_kib: dict[int, int] = field(default_factory=dict)  # pid -> last VmHWM read
    samples: int = 0

    def add(self, readings: list[tuple[int, int, int, int]]) -> None:
        """One sample: (pid, VmRSS, VmHWM, Pss) in KiB for each process; Pss -1 when not read."""
        self.samples += 1
        self.peak_processes = max(self.peak_processes, len(readings))
        self.peak_rss_sum_kib = max(self.peak_rss_sum_kib, sum(r[1] for r in readings))
        if all(r[3] >= 0 for r in readings):
            self.peak_pss_sum_kib = max(self.peak_pss_sum_kib, sum(r[3] for r in readings))
        for pid, _, hwm, _ in readings:
            self.hwm_kib[pid] = max(self.hwm_kib.get(pid, 0), hwm)

    @property
    def largest_hwm_kib(self) -> int:
        return max(self.hwm_kib.values(), default=0)


def sample_tree(pid: int, with_pss: bool = True) -> list[tuple[int, int, int, int]]:
    """(pid, VmRSS, VmHWM, Pss) in KiB of each process of the tree; Pss -1 when not read.

    Reading `smaps_rollup` walks the process's page tables under its memory lock: on a
    process of 2 GB it costs the reader tens of milliseconds and stalls the process's page
    faults meanwhile, so callers read it far less often than `status`.
    """
    readings = []
    for member in proc_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text() if with_pss else ""
        except OSError:
            continue  # exited between listing and reading
        rss, hwm = status_kib(status, "VmRSS"), status_kib(status, "VmHWM")
        pss = status_kib(rollup, "Pss") if with_pss else None
        if rss is not None and hwm is not None:
            readings.append((member, rss, hwm, pss if pss is not None else -1))
    return readings


@dataclass
class MemoryRun:
    jobs: int
    keep: str | None  # PREPLINT_KEEP_LOADED (N files, or "all"); None: the default budget
    sample: Sample
    tree: TreeMemory
    diagnostics: int | None
    stdout: bytes


def memory_run(
    ctx: Context, files: list[str], jobs: int, interval: float, keep: str | None = None
) -> MemoryRun:
    """A cold run over `files` at `--jobs N`, its process tree sampled every `interval` s;
    with `keep`, PREPLINT_KEEP_LOADED sets how many files' facts the run holds ("all": every
    file's, none written to disk) instead of the default budget."""
    import threading

    cache = Path(tempfile.mkdtemp(prefix=f"memory-{jobs}-", dir=ctx.scratch))
    cmd = [*ctx.preplint, "check", "--no-cache", "--format", "json", "--jobs", str(jobs), *files]
    out_path, err_path = ctx.scratch / "stdout", ctx.scratch / "stderr"
    tree = TreeMemory()
    done = threading.Event()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        env = preplint_env(ctx.env, cache)
        if keep is not None:
            env["PREPLINT_KEEP_LOADED"] = keep
        proc = subprocess.Popen(
            cmd,
            cwd=ctx.root,
            env=env,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )

        def sampler() -> None:
            last_pss = -PSS_INTERVAL
            while not done.is_set():
                now = time.monotonic()
                with_pss = now - last_pss >= PSS_INTERVAL
                if with_pss:
                    last_pss = now
                readings = sample_tree(proc.pid, with_pss)
                if readings:
                    tree.add(readings)
                done.wait(interval)

        thread = threading.Thread(target=sampler, daemon=True)
        thread.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        thread.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    sample = Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode)
    stdout = out_path.read_bytes()
    print(
        f"  memory --jobs {jobs}: {wall:.1f} s, tree RSS peak {tree.peak_rss_sum_kib / 1024:.0f} "
        f"MiB (Pss {tree.peak_pss_sum_kib / 1024:.0f}), largest VmHWM "
        f"{tree.largest_hwm_kib / 1024:.0f} MiB, ru_maxrss {usage.ru_maxrss / 1024:.0f} MiB, "
        f"exit {proc.returncode}",
        file=sys.stderr,
        flush=True,
    )
    if proc.returncode not in PREPLINT_OK:
        print(_tail(err_path.read_bytes()), file=sys.stderr)
    return MemoryRun(jobs, keep, sample, tree, _count_diagnostics(stdout), stdout)


PSS_INTERVAL = 0.5  # seconds between two reads of smaps_rollup (see sample_tree)
MEMORY_TARGET_MB = 600  # issue target, in MB (10^6 bytes)


def peak_memory_kib(tree: TreeMemory) -> int:
    """The figure held to the target: peak tree Pss, or one process's exact high-water mark
    where that is higher (a short peak between two Pss samples)."""
    return max(tree.peak_pss_sum_kib, tree.largest_hwm_kib)


def memory_section(runs: list[MemoryRun], files: int, interval: float) -> list[str]:
    lines = [
        MEMORY_HEADING,
        "",
        f"`preplint check --no-cache --format json --jobs N <{files} files>` over every .py file "
        'of the corpus, one run each; "facts held": default, the budget for loaded facts '
        "(`FACTS_BUDGET` in preplint/engine.py; the rest wait on disk), or what "
        "`PREPLINT_KEEP_LOADED` sets (N files, or all of them).",
        "",
        "| jobs | facts held | wall s | CPU s | exit | diagnostics | processes | peak memory MB "
        "| target | result | peak tree Pss MB | largest VmHWM MB | peak tree RSS MB "
        "| processes seen | ru_maxrss MB |",
        "|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        mb = peak_memory_kib(run.tree) * 1024 / 1e6
        verdict = "PASS" if mb <= MEMORY_TARGET_MB else "FAIL"
        lines.append(
            f"| {run.jobs} | {'default' if run.keep is None else run.keep} "
            f"| {run.sample.wall:.1f} | {run.sample.cpu:.1f} "
            f"| {run.sample.returncode} | {run.diagnostics if run.diagnostics is not None else '-'} "
            f"| {run.tree.peak_processes} | {mb:.0f} | ≤ {MEMORY_TARGET_MB} | {verdict} "
            f"| {run.tree.peak_pss_sum_kib * 1024 / 1e6:.0f} "
            f"| {run.tree.largest_hwm_kib * 1024 / 1e6:.0f} "
            f"| {run.tree.peak_rss_sum_kib * 1024 / 1e6:.0f} "
            f"| {len(run.tree.hwm_kib)} | {run.sample.maxrss_kib * 1024 / 1e6:.0f} |"
        )
    identical = len({run.stdout for run in runs}) == 1
    lines += [
        "",
        f"- JSON outputs of the runs byte-identical: {yes_no(identical)}.",
        f"- A thread samples the process tree (the main process and every descendant, found "
        f"through `/proc/PID/task/*/children`) every {interval * 1000:.0f} ms and reads "
        f"`VmRSS` and `VmHWM` from `/proc/PID/status`, and every {PSS_INTERVAL:g} s `Pss` from "
        "`/proc/PID/smaps_rollup` (which stalls the process while read).",
        "- peak memory (the figure held to the target): the larger of peak tree Pss and "
        "largest VmHWM. Peak tree Pss is the largest sum of `Pss` over the tree at one sample: "
        "the memory the run takes from the machine, each page counted once (a page shared by "
        "forked processes is split between them). Largest VmHWM is the kernel's exact "
        "high-water mark of one process, which a sample cannot miss.",
        "- peak tree RSS: the largest sum of `VmRSS` over the tree at one sample. RSS counts a "
        "page in every process that maps it, and forked workers map every page of their "
        "parent until written, so at `--jobs 2` this counts most of the parent's memory "
        "three times: shown, not held to the target. A peak shorter than the sampling "
        "interval can be missed.",
        "- largest VmHWM: the kernel's own high-water mark of one process (exact up to its "
        "last sample). processes: most alive at one sample; processes seen: all over the run "
        "(a pool may replace its workers).",
        "- ru_maxrss: from `os.wait4`, the largest single process among the main one and the "
        "children it reaped (what the tables above report).",
        "- MB are 10^6 bytes, as in the target; the tables above use MiB.",
    ]
    return lines


def replace_section(text: str, heading: str, section: list[str]) -> str:
    """`text` with the `## ` section titled `heading` replaced by `section` (or appended)."""
    lines = text.splitlines()
    body = [*section, ""]
    if heading in lines:
        start = lines.index(heading)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        lines[start:end] = body
    else:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ["", *body]
    return "\n".join(lines).rstrip("\n") + "\n"


def kept_sections(text: str, headings: Sequence[str]) -> list[list[str]]:
    """The sections of `text` titled by one of `headings`, in order, to carry into a new file."""
    lines = text.splitlines()
    found = []
    for heading in headings:
        if heading in lines:
            start = lines.index(heading)
            end = next(
                (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                len(lines),
            )
            section = lines[start:end]
            while section and not section[-1].strip():
                section.pop()
            found.append(section)
    return found


# ---------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="corpus and venv cache (default: $PREPLINT_BENCH_CACHE or bench/.cache)",
    )
    parser.add_argument("--runs", type=int, default=3, help="timed runs per command (default 3)")
    parser.add_argument(
        "--full", action="store_true", help="also lint every .py file with --jobs 1 and --jobs 2"
    )
    parser.add_argument(
        "--files-from",
        type=Path,
        help="time these files (one path a line) instead of the ml-scripts subset",
    )
    parser.add_argument("--limit", type=int, help="use only the first N files of each file set")
    parser.add_argument(
        "--with-others",
        action="store_true",
        help="install fixit and torchfix in venvs under the cache and time them",
    )
    parser.add_argument(
        "--others-runs",
        type=int,
        help="timed runs for fixit and torchfix, which take minutes each (default: --runs)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="where to write the results (default bench/RESULTS.md)",
    )
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="only time cold, warm and one-edit runs on a copy of the timed set "
        "(updates its own section of the output)",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="only measure the peak RSS of the process tree of a cold run over the full "
        "corpus at --jobs 1 and 2 (updates its own section of the output)",
    )
    parser.add_argument(
        "--keep-loaded",
        default="",
        metavar="N|all",
        help="with --memory, also a --jobs 1 run with PREPLINT_KEEP_LOADED set to this "
        "(N files' facts, or all: every file's, the fastest)",
    )
    parser.add_argument(
        "--memory-interval",
        type=float,
        default=0.05,
        help="seconds between two samples of the process tree for --memory (default 0.05)",
    )
    # For trying the script without the real linter; the default is the real preplint.
    parser.add_argument("--preplint-cmd", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.memory_interval <= 0:
        parser.error("--memory-interval must be positive")
    if (args.incremental or args.memory) and (args.full or args.with_others):
        parser.error("--incremental and --memory run alone: drop --full and --with-others")
    args.cache_dir = (args.cache_dir or default_cache_dir()).resolve()
    return args


def check_preplint(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    """Stop with a clear message when `preplint check` cannot run at all."""
    proc = subprocess.run(
        [*cmd, "check", "--help"], cwd=cwd, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        sys.exit(
            f"error: `{shlex.join(cmd)} check --help` failed (exit {proc.returncode}); "
            f"is preplint installed for {sys.executable}? Try `pip install -e .` in the repository.\n"
            f"{_tail((proc.stdout + proc.stderr).encode())}"
        )


# What a one-file run imports besides the standard library. `pip install` writes their .pyc
# files; an editable install does not, and with PYTHONDONTWRITEBYTECODE=1 (set on some
# machines) Python then compiles preplint's 14,000 lines again in every process (~80 ms).
BYTECODE_PACKAGES = ("preplint", "libcst", "click")


def ensure_bytecode(cwd: Path, env: dict[str, str]) -> str | None:
    """Write missing or stale .pyc files of the packages the timed commands import.

    This is the state `pip install .` leaves; the bench measures the linter, not the
    compiler. Returns a note for RESULTS.md when something had to be compiled.
    """
    script = (
        "import compileall, importlib, os, sys\n"
        "from importlib.util import cache_from_source\n"
        "for name in sys.argv[1:]:\n"
        "    folder = os.path.dirname(importlib.import_module(name).__file__)\n"
        "    stale = 0\n"
        "    for base, _, names in os.walk(folder):\n"
        "        for n in names:\n"
        "            if not n.endswith('.py'):\n"
        "                continue\n"
        "            src = os.path.join(base, n)\n"
        "            pyc = cache_from_source(src)\n"
        "            if not os.path.exists(pyc) or os.path.getmtime(pyc) < os.path.getmtime(src):\n"
        "                stale += 1\n"
        "    ok = compileall.compile_dir(folder, quiet=2) if stale else True\n"
        "    print(name, stale, int(bool(ok)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, *BYTECODE_PACKAGES],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    compiled, failed = [], []
    for line in proc.stdout.splitlines():
        name, stale, ok = line.split()
        if int(stale):
            (compiled if ok == "1" else failed).append(f"{name} ({stale} files)")
    parts = []
    if compiled:
        parts.append(
            f"byte-compiled {', '.join(compiled)} before timing, as `pip install .` does "
            "(their .pyc files were missing or stale, as after an editable install"
            + (
                ", and PYTHONDONTWRITEBYTECODE=1 is set here"
                if env.get("PYTHONDONTWRITEBYTECODE")
                else ""
            )
            + ")."
        )
    if failed or proc.returncode != 0:
        parts.append(
            f"could not byte-compile {', '.join(failed) or 'the packages'}: every timed process "
            "compiles them from source, which inflates the one-file time."
        )
    return " ".join(parts) or None


def preplint_config_above(root: Path) -> Path | None:
    """A pyproject.toml with [tool.preplint] above the corpus, which preplint would apply to it."""
    for folder in root.parents:
        candidate = folder / "pyproject.toml"
        try:
            data = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if "preplint" in data.get("tool", {}):
            return candidate
    return None


def select_files(args: argparse.Namespace, root: Path) -> list[Path]:
    if args.files_from:
        base = args.files_from.resolve().parent
        names = [line.strip() for line in args.files_from.read_text().splitlines()]
        files = [_resolve(name, root, base) for name in names if name and not name.startswith("#")]
    else:
        files = ml_scripts(root)
    return files[: args.limit] if args.limit else files


def _resolve(name: str, root: Path, base: Path) -> Path:
    """A --files-from entry: absolute, relative to the corpus folder, or to the list file."""
    path = Path(name)
    if path.is_absolute():
        return path
    return root / path if (root / path).exists() else (base / path).resolve()


def relative_args(files: list[Path], root: Path) -> list[str]:
    """Paths as arguments: relative to the corpus folder when inside it (shorter command lines)."""
    out = []
    for path in files:
        try:
            out.append(path.resolve().relative_to(root).as_posix())
        except ValueError:
            out.append(str(path.resolve()))
    return out


def median_size_file(files: list[Path]) -> Path:
    ordered = sorted(files, key=lambda p: (p.stat().st_size, p.as_posix()))
    return ordered[(len(ordered) - 1) // 2]


def print_summary(report: Report) -> None:
    print()
    print("\n".join(results_table(report)))
    print()
    print("\n".join(ratio_table(report)))
    for line in full_section(report):
        print(line)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    preplint = (
        shlex.split(args.preplint_cmd) if args.preplint_cmd else [sys.executable, "-m", "preplint"]
    )
    root = fetch_corpus(args.cache_dir).resolve()
    shutil.rmtree(args.cache_dir / "failures", ignore_errors=True)  # from an earlier run
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREPLINT_")}
    check_preplint(preplint, root, env)
    bytecode_note = None if args.preplint_cmd else ensure_bytecode(root, env)

    chosen = select_files(args, root)
    if not chosen:
        sys.exit("error: no files to benchmark")
    one = median_size_file(chosen)
    everything = all_py_files(root)
    if args.limit:
        everything = everything[: args.limit]
    notes = [bytecode_note] if bytecode_note else []
    if args.preplint_cmd:
        notes.append(f"preplint replaced by `{args.preplint_cmd}`: not a real result.")
    config = preplint_config_above(root)
    if config is not None:
        notes.append(
            f"`{config}` has a [tool.preplint] table that applies to the corpus (and makes its "
            "folder the project preplint scans): use --cache-dir outside it."
        )
    if args.files_from or args.limit:
        notes.append(
            "custom file selection (--files-from / --limit): not comparable with the default set."
        )

    if args.incremental or args.memory:
        return extra_modes(args, preplint, root, env, chosen, everything, notes)

    load_before, source_before = os.getloadavg(), _preplint_source()
    with tempfile.TemporaryDirectory(prefix="preplint-bench-") as tmp:
        ctx = Context(args, preplint, root, relative_args(chosen, root), Path(tmp), env)
        print(f"benchmarking {len(chosen)} files, {args.runs} runs each", file=sys.stderr)
        cold, cold_cache = bench_cold(ctx)
        if any(cold_cache.iterdir()):
            notes.append("preplint wrote to its cache folder during --no-cache runs.")
        warm, warm_cache = bench_warm(ctx)
        if not any(warm_cache.iterdir()):
            notes.append("the warm runs' cache folder stayed empty: the cache may not be in use.")
        if not (cold.failed or warm.failed):
            same = cold.stdout == warm.stdout
            notes.append(f"warm output byte-identical to cold output: {'yes' if same else 'no'}.")
        one_m = bench_one_file(ctx, relative_args([one], root)[0])
        parse = bench_parse_loop(ctx)
        imp = bench_import_libcst(ctx)
        tools = find_other_tools(args.cache_dir, args.with_others)
        others = bench_others(ctx, tools)
        notes += traceback_notes([cold, warm, one_m])
        notes += bad_run_notes([cold, warm, one_m, parse, imp])
        notes += other_tool_notes(tools)
        full: list[FullRun] = []
        if args.full:
            print(f"full corpus: {len(everything)} files", file=sys.stderr)
            full_files = relative_args(everything, root)
            full = [full_check(ctx, full_files, jobs) for jobs in (1, 2)]
    notes.append(load_note(load_before[0], os.getloadavg()[0], parse))
    if _preplint_source() != source_before:
        notes.append(f"preplint's source changed during the run (it started at {source_before}).")
    if others and args.others_runs and args.others_runs != args.runs:
        notes.append(f"Fixit and TorchFix: median of {args.others_runs} run(s) after a warm-up.")

    report = Report(
        invocation=shlex.join(
            ["python", "bench/run.py", *(sys.argv[1:] if argv is None else argv)]
        ),
        machine=machine_description(),
        corpus_lines=corpus_description(root, chosen, one, everything, cold, bool(args.files_from)),
        measurements=[cold, warm, one_m, parse, imp, *others],
        ratios=ratios(cold, warm, one_m, parse, imp),
        runs=args.runs,
        notes=notes,
        full=full,
        full_files=len(everything),
    )
    print_summary(report)
    text = render(report)
    # The --incremental and --memory sections of an earlier run stay until those modes rerun.
    old = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    for section in kept_sections(old, (INCREMENTAL_HEADING, MEMORY_HEADING)):
        text = replace_section(text, section[0], section)
    args.output.write_text(text)
    print(f"\nwrote {args.output}", file=sys.stderr)
    failed = [m.name for m in report.measurements if m.failed]
    failed += [f"full --jobs {r.jobs}" for r in full if r.sample.returncode not in PREPLINT_OK]
    if failed:
        print(f"commands that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def extra_modes(
    args: argparse.Namespace,
    preplint: list[str],
    root: Path,
    env: dict[str, str],
    chosen: list[Path],
    everything: list[Path],
    notes: list[str],
) -> int:
    """--incremental and --memory: measure, print, and replace their sections of the output."""
    subset = "files from --files-from" if args.files_from else "ml-scripts subset"
    sections: list[list[str]] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="preplint-bench-") as tmp:
        ctx = Context(args, preplint, root, relative_args(chosen, root), Path(tmp), env)
        if args.incremental:
            result = run_incremental(ctx)
            failed = (
                failed
                or result.cold.failed
                or result.warm.failed
                or any(
                    s.returncode not in PREPLINT_OK for sc in result.scenarios for s in sc.samples
                )
            )
            sections.append(incremental_section(result, subset))
        if args.memory:
            print(f"memory: {len(everything)} files", file=sys.stderr)
            full_files = relative_args(everything, root)
            runs = [memory_run(ctx, full_files, jobs, args.memory_interval) for jobs in (1, 2)]
            if args.keep_loaded:
                runs.append(memory_run(ctx, full_files, 1, args.memory_interval, args.keep_loaded))
            failed = failed or any(r.sample.returncode not in PREPLINT_OK for r in runs)
            sections.append(memory_section(runs, len(everything), args.memory_interval))
    stamp = (
        f"Written by `{shlex.join(['python', 'bench/run.py', *sys.argv[1:]])}` on "
        f"{dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, "
        f"preplint {_preplint_source()}."
    )
    text = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    if not text:
        text = "# preplint benchmark results\n"
    for section in sections:
        section[2:2] = [stamp, "", *[f"{n}" for n in notes], *([""] if notes else [])]
        print("\n" + "\n".join(section))
        text = replace_section(text, section[0], section)
    args.output.write_text(text, encoding="utf-8")
    print(f"\nwrote {args.output}", file=sys.stderr)
    return 1 if failed else 0


def load_note(before: float, after: float, parse: Measurement) -> str:
    """How shared the cores were: the load average, and the parse loop's wall time over CPU time.

    The load average at the end counts this script's own last commands, so the verdict
    rests on the parse loop: one process, so wall equals CPU time unless others took turns.
    """
    share = parse.median / parse.median_cpu if parse.median_cpu else 1.0
    verdict = (
        "other work shared the cores: wall times are inflated, CPU times less so"
        if share > 1.1
        else "the cores were not shared during it"
    )
    return (
        f"1-minute load average {before:.2f} at the start, {after:.2f} at the end (which counts "
        f"this script's own last commands); parse loop wall/CPU time {share:.2f}: {verdict}."
    )


def bad_run_notes(measurements: list[Measurement]) -> list[str]:
    return [f"{m.name}: {bad}." for m in measurements for bad in m.bad_runs]


def traceback_notes(measurements: list[Measurement]) -> list[str]:
    return [
        f"{m.name}: stderr held a Python traceback in {m.tracebacks} run(s)."
        for m in measurements
        if m.tracebacks
    ]


def other_tool_notes(tools: list[OtherTool]) -> list[str]:
    if not tools:
        return ["Fixit and TorchFix were not timed (run with --with-others)."]
    return [f"{t.name} (`{t.version}`) runs with its default rules and parallelism." for t in tools]


def corpus_description(
    root: Path,
    chosen: list[Path],
    one: Path,
    everything: list[Path],
    cold: Measurement,
    custom: bool,
) -> list[str]:
    packages = ", ".join(f"{name} {version}" for name, version in PACKAGES)
    subset = "files from --files-from" if custom else "ml-scripts subset"
    lines = [
        f"- sdists: {packages} (`.py` files only)",
        f"- full corpus: {len(everything)} files, {count_lines(everything)} lines",
        f"- timed set ({subset}): {len(chosen)} files, {count_lines(chosen)} lines",
        f"- one file: `{relative_args([one], root)[0]}` ({one.stat().st_size} bytes, {count_lines([one])} lines)",
    ]
    try:
        codes = Counter(str(d.get("code")) for d in diagnostics_of(json.loads(cold.stdout)))
    except ValueError:
        lines.append("- diagnostics on the timed set: preplint's output was not readable JSON")
        return lines
    lines.append(
        f"- diagnostics on the timed set (cold run): {sum(codes.values())}, of which "
        f"INTERNAL {codes['INTERNAL']}, SYNTAX {codes['SYNTAX']}"
    )
    return lines


if __name__ == "__main__":
    sys.exit(main())
