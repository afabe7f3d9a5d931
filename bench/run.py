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
    # For trying the script without the real linter; the default is the real preplint.
    parser.add_argument("--preplint-cmd", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
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
    args.output.write_text(render(report))
    print(f"\nwrote {args.output}", file=sys.stderr)
    failed = [m.name for m in report.measurements if m.failed]
    failed += [f"full --jobs {r.jobs}" for r in full if r.sample.returncode not in PREPLINT_OK]
    if failed:
        print(f"commands that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


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
