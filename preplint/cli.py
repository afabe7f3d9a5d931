"""The command line: the only module that prints, reads argv or exits."""

from __future__ import annotations

import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

import click

from preplint import __version__
from preplint.config import ConfigTree, Overrides, parse_codes
from preplint.diagnostics import Diagnostic, Report, Severity
from preplint.errors import PreplintError, UsageError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _PositiveSeconds(click.ParamType):
    """A finite number of seconds above zero: `nan` and `inf` would never stop a worker."""

    name = "seconds"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float) and math.isfinite(value) and value > 0:
            return value
        try:
            seconds = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(seconds) or seconds <= 0:
            self.fail(f"{value!r} is not a finite number of seconds above 0", param, ctx)
        return seconds


POSITIVE_SECONDS = _PositiveSeconds()


def _codes(option: str, value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    codes = parse_codes(value, f"--{option}")
    if option == "select" and not codes:
        raise UsageError(
            "--select is empty, so no rule would run (use --select ALL for every rule)"
        )
    return codes


def _resolve_config(
    config_path: str | None, paths: tuple[str, ...], overrides: Overrides
) -> ConfigTree:
    """Every file's config: the nearest config file above it, or `--config` for all."""
    return ConfigTree.build(
        paths, Path(config_path) if config_path is not None else None, overrides
    )


def _exit_status(report: Report, config: ConfigTree) -> int:
    if any(d.code == "INTERNAL" for d in report.diagnostics):
        return EXIT_ERROR
    if any(d.severity >= config.for_path(d.path).fail_on for d in report.diagnostics):
        return EXIT_FINDINGS
    return EXIT_CLEAN


class _Guarded(click.Group):
    """Turns a bug into one stderr line and exit 2: a traceback exiting 1 reads as findings in CI."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            click.echo(f"preplint: internal error: {_describe(exc)}", err=True)
            sys.exit(EXIT_ERROR)


def _describe(exc: BaseException) -> str:
    """`Type: message (at module.py:line)`: where a bug report needs to start, on one line."""
    detail = " ".join(traceback.format_exception_only(type(exc), exc)[-1].split())
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        detail += f" (at {os.path.basename(last.filename)}:{last.lineno})"
    return detail


def _report_internal(report: Report) -> None:
    """Each INTERNAL finding also on stderr, naming its file, whatever the output format."""
    for d in report.diagnostics:
        if d.code == "INTERNAL":
            click.echo(f"preplint: internal error: {d.path}: {d.message}", err=True)


@click.group(cls=_Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="preplint")
def main() -> None:
    """preplint: finds the code that makes a reloaded model predict differently."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
)
@click.option(
    "--select", help="Comma-separated codes or prefixes to enable (replaces the configured set)."
)
@click.option(
    "--extend-select",
    help="Comma-separated codes or prefixes to enable besides the configured set.",
)
@click.option(
    "--ignore", help="Comma-separated codes or prefixes to disable (added to the configured ones)."
)
@click.option(
    "--confirm", is_flag=True, help="Load the saved artifacts and run them to confirm findings."
)
@click.option(
    "--trust-artifacts", is_flag=True, help="Allow confirmation to run code stored in artifacts."
)
@click.option(
    "--import-project",
    is_flag=True,
    help="Let confirmation import the project's own modules (to rebuild a state_dict's module, "
    "or to pass a Keras model's custom objects).",
)
@click.option("--fix", is_flag=True, help="Apply safe fixes in place.")
@click.option(
    "--diff",
    is_flag=True,
    help="Print the fixes as a unified diff instead of writing them (--format text only).",
)
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="Also apply fixes that change results (e.g. seeding a split).",
)
@click.option("--show-fixes", is_flag=True, help="List the fixes --fix would apply (or applied).")
@click.option(
    "--add-ignore",
    is_flag=True,
    help="Write `# preplint: ignore[CODE]` for every current finding (to adopt preplint).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file for every path (default: for each file, the nearest preplint.toml, "
    "or pyproject.toml with [tool.preplint], in its folder or above).",
)
@click.option(
    "--force-exclude/--no-force-exclude",
    default=None,
    help="Apply `exclude` and .gitignore also to files named on the command line.",
)
@click.option(
    "--respect-gitignore/--no-respect-gitignore",
    default=None,
    help="Skip what .gitignore files name (default: on).",
)
@click.option(
    "--output-file",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the findings to this file instead of stdout.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour in text output (auto: on a terminal; NO_COLOR and FORCE_COLOR are honoured).",
)
@click.option(
    "--stdin-filename",
    metavar="PATH",
    help="Lint the text on stdin (PATHS: `-`) as if it were the file at PATH.",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the facts cache.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="PREPLINT_CACHE_DIR",
    help="Where the facts cache lives (default: .preplint_cache at the project root).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Worker processes (default: the number of cores).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary.")
@click.option("--show-source", is_flag=True, help="Show the offending line under each finding.")
@click.option("--statistics", is_flag=True, help="Count findings by code (--format text only).")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    help="Lowest severity that makes the exit status 1.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--preview",
    is_flag=True,
    help="Also run the rules and rule parts still in preview (below 0.90 precision on public code).",
)
@click.option(
    "--confirm-timeout",
    type=POSITIVE_SECONDS,
    help="Seconds each confirmation worker may run.",
)
@click.option(
    "--memory-limit",
    "memory_limit_mb",
    type=click.IntRange(min=64),
    help="Megabytes of memory each confirmation worker may use.",
)
def check(
    paths: tuple[str, ...],
    output_format: str,
    select: str | None,
    extend_select: str | None,
    ignore: str | None,
    confirm: bool,
    trust_artifacts: bool,
    import_project: bool,
    fix: bool,
    diff: bool,
    unsafe_fixes: bool,
    show_fixes: bool,
    add_ignore: bool,
    config_path: str | None,
    force_exclude: bool | None,
    respect_gitignore: bool | None,
    output_file: str | None,
    color: str,
    stdin_filename: str | None,
    no_cache: bool,
    cache_dir: str | None,
    jobs: int | None,
    quiet: bool,
    show_source: bool,
    statistics: bool,
    fail_on: str | None,
    exit_zero: bool,
    preview: bool,
    confirm_timeout: float | None,
    memory_limit_mb: int | None,
) -> None:
    """Lint PATHS (files or folders; default: the current folder).

    Each file uses the nearest preplint.toml, or pyproject.toml with a [tool.preplint]
    table, in its folder or above (--config: one file for all). Folders are walked
    skipping `exclude` patterns and, in a git repository, what .gitignore names.
    """
    from preplint.engine import lint_project

    if diff and output_format != "text":
        _usage_error("--diff prints a unified diff: use it with --format text")
    if statistics and output_format != "text":
        _usage_error("--statistics counts findings in text: use it with --format text")
    if add_ignore and (fix or diff):
        _usage_error("--add-ignore cannot be combined with --fix or --diff")
    stdin_path = _stdin_path(paths, stdin_filename, fix or diff or add_ignore)
    paths = paths or (".",)
    unlintable = {} if stdin_path is not None else _unlintable_paths(paths)
    for raw, reason in unlintable.items():
        click.echo(f"preplint: error: {raw}: {reason}", err=True)
    paths = tuple(p for p in paths if p not in unlintable)
    if not paths:
        sys.exit(EXIT_ERROR)
    try:
        overrides = Overrides(
            select=_codes("select", select),
            extend_select=_codes("extend-select", extend_select) or (),
            ignore=_codes("ignore", ignore) or (),
            fail_on=Severity.parse(fail_on) if fail_on is not None else None,
            force_exclude=force_exclude,
            respect_gitignore=respect_gitignore,
            preview=True if preview else None,
        )
        config = _resolve_config(
            config_path,
            paths if stdin_path is None else (str(Path(stdin_path).parent),),
            overrides,
        )
        cache = None
        if not no_cache:
            from preplint.cache import FactsCache, default_cache_dir

            cache = FactsCache(Path(cache_dir) if cache_dir else default_cache_dir(config))
        if stdin_path is not None:
            from preplint.engine import ReadOnlyCache, lint_text

            # An editor's buffer run reads the facts cache but never writes it.
            read_only = ReadOnlyCache(cache) if cache is not None else None
            data = sys.stdin.buffer.read()
            report = lint_text(data, stdin_path, config, cache=read_only).report
        else:
            from preplint import engine

            progress = Progress(sys.stderr, enabled=_progress_on(sys.stderr))
            engine.PROGRESS = progress.update
            try:
                report = lint_project(list(paths), config, jobs=jobs, cache=cache)
            finally:
                engine.PROGRESS = None
                progress.clear()
    except PreplintError as exc:
        click.echo(f"preplint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    for note in report.notes:
        click.echo(f"preplint: warning: {note}", err=True)
    _report_internal(report)

    if add_ignore:
        from preplint.add_ignore import add_ignores

        added = add_ignores(report.diagnostics)
        for path, reason in sorted(added.failed.items()):
            click.echo(f"preplint: warning: {path}: no ignore comments added: {reason}", err=True)
        click.echo(
            f"Added {added.comments} ignore comment{'s' if added.comments != 1 else ''} "
            f"in {len(added.changed)} file{'s' if len(added.changed) != 1 else ''}.",
            err=True,
        )
        sys.exit(EXIT_CLEAN)
    if diff:
        from preplint.fix import apply_fixes

        outcome = apply_fixes(report.diagnostics, unsafe=unsafe_fixes)
        _fix_warnings(outcome.failed)
        _emit("".join(outcome.diffs[path] for path in sorted(outcome.diffs)), output_file)
        sys.exit(EXIT_FINDINGS if outcome.fixed else EXIT_CLEAN)
    applied: tuple[Diagnostic, ...] = ()
    if fix:
        from preplint.fix import fix_until_stable

        def relint() -> Report:
            return lint_project(list(paths), config, jobs=jobs, cache=cache)

        before = report
        done = fix_until_stable(report, relint, unsafe=unsafe_fixes)
        _fix_warnings(done.failed)
        for path in done.unstable:
            click.echo(
                f"preplint: warning: {path}: fixes did not settle; left as the last fix that parsed",
                err=True,
            )
        if done.fixed and output_format == "text":
            click.echo(f"Fixed {done.fixed} finding{'s' if done.fixed != 1 else ''}.", err=True)
        left_alone = set(done.failed) | set(done.unstable)
        applied = tuple(
            d for d in before.diagnostics if _applies(d, unsafe_fixes) and d.path not in left_alone
        )
        report = Report(done.report.files, done.report.diagnostics, report.notes)

    if confirm:
        from preplint.confirm import ConfirmOptions, confirm_diagnostics

        roots = tuple(Path(config.root, r) for r in config.artifact_roots)
        options = ConfirmOptions(
            artifact_roots=roots,
            trust_artifacts=trust_artifacts,
            import_project=import_project or config.import_project,
            timeout=confirm_timeout or config.confirm_timeout,
            memory_limit_mb=memory_limit_mb or config.confirm_memory_mb,
        )
        report = Report(
            report.files, tuple(confirm_diagnostics(report.diagnostics, options)), report.notes
        )
    else:
        options = None

    if output_format == "text":
        from preplint import render_input
        from preplint.report.text import render_text

        text = render_text(
            report,
            show_source=show_source,
            statistics=statistics,
            quiet=quiet,
            confirm=confirm,
            sources=render_input.source_lines(report.diagnostics) if show_source else None,
            no_probe=render_input.no_probe_reasons(report.diagnostics, options) if confirm else (),
            unsafe_fixes=unsafe_fixes,
        )
        if show_fixes:
            text += _fix_listing(report.diagnostics, applied, fix=fix, unsafe_fixes=unsafe_fixes)
        coloured = output_file is None and _colour_on(color, sys.stdout)
        if coloured:
            text = _colourise(text, report)
    else:
        text = _render(report, output_format)
        coloured = False
    _emit(text, output_file, colour=coloured)
    if unlintable:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_CLEAN if exit_zero else _exit_status(report, config))


def _emit(text: str, output_file: str | None, *, colour: bool = False) -> None:
    """The findings on stdout, or in `--output-file` (written whole, UTF-8)."""
    if output_file is None:
        # click strips colour codes when stdout is no terminal, unless told otherwise.
        click.echo(text, nl=False, color=True if colour else None)
        return
    try:
        Path(output_file).write_text(text, encoding="utf-8")
    except OSError as exc:
        _usage_error(f"--output-file {output_file}: cannot write: {exc.strerror or exc}")


def _applies(d: Diagnostic, unsafe_fixes: bool) -> bool:
    """Whether `--fix` (with or without `--unsafe-fixes`) applies this finding's fix."""
    return d.fix is not None and (unsafe_fixes or not d.fix.unsafe)


def _fix_listing(
    remaining: Sequence[Diagnostic],
    applied: Sequence[Diagnostic],
    *,
    fix: bool,
    unsafe_fixes: bool,
) -> str:
    """`--show-fixes`: what --fix applied (or would apply), and what needs --unsafe-fixes."""
    from preplint.report.text import location

    def lines(title: str, found: Sequence[Diagnostic]) -> list[str]:
        if not found:
            return []
        out = [title]
        for d in found:
            assert d.fix is not None
            out.append(f"    {location(d)}: {d.code} {d.fix.description}")
        return out

    out: list[str] = []
    if fix:
        out += lines("Fixed:", applied)
    else:
        out += lines(
            "Fixable with `preplint check --fix`:",
            [d for d in remaining if _applies(d, unsafe_fixes)],
        )
    if not unsafe_fixes:
        out += lines(
            "Fixable only with `--unsafe-fixes`:",
            [d for d in remaining if d.fix is not None and d.fix.unsafe],
        )
    if not out:
        out = ["No fixes available."]
    return "\n".join(out) + "\n"


class Progress:
    """`files done/total` on one rewritten stderr line, once a run has taken a second."""

    DELAY = 1.0

    def __init__(
        self, stream: TextIO, *, enabled: bool, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream
        self.enabled = enabled
        self.clock = clock
        self.started = clock()
        self.shown = False

    def update(self, done: int, total: int) -> None:
        if not self.enabled or self.clock() - self.started < self.DELAY:
            return
        self.stream.write(f"\rpreplint: {done}/{total} files")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def _progress_on(stream: TextIO) -> bool:
    """Only on a terminal, and never in CI logs (which some runners make look like one)."""
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _colour_on(choice: str, stream: object) -> bool:
    """`--color`: always / never; auto: NO_COLOR turns it off, FORCE_COLOR on, else only on a
    terminal outside CI."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


_SEVERITY_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _colourise(text: str, report: Report) -> str:
    """Text output with the location in bold and the code in its severity's colour."""
    from preplint.report.text import location

    styles = {f"{location(d)}: {d.code}": d.severity for d in report.diagnostics}
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        head, sep, rest = line.partition(": ")
        code, _, tail = rest.partition(" ")
        severity = styles.get(f"{head}: {code}") if sep else None
        if severity is None:
            out.append(line)
            continue
        out.append(
            click.style(head, bold=True)
            + ": "
            + click.style(code, fg=_SEVERITY_COLOURS.get(severity, "red"), bold=True)
            + " "
            + tail
        )
    return "".join(out)


STDIN_DEFAULT_NAME = "stdin.py"


def _stdin_path(paths: tuple[str, ...], stdin_filename: str | None, fixing: bool) -> str | None:
    """The path stdin stands for when `-` is the one path (or `--stdin-filename` has none)."""
    if "-" not in paths and (stdin_filename is None or paths):
        if stdin_filename is not None:
            _usage_error("--stdin-filename needs `-` as the only path")
        return None
    if paths != ("-",) and paths:
        _usage_error("`-` (stdin) cannot be mixed with other paths")
    if fixing:
        _usage_error("--fix and --diff work on files, not on stdin")
    name = stdin_filename or STDIN_DEFAULT_NAME
    reason = _unlintable_suffix(name)
    if reason is not None:
        _usage_error(f"--stdin-filename {name}: {reason}")
    return name


def _usage_error(message: str) -> NoReturn:
    click.echo(f"preplint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _unlintable_paths(paths: tuple[str, ...]) -> dict[str, str]:
    """Paths named on the command line that preplint cannot lint, with the reason for each.

    A folder is walked for .py and .ipynb files; a file named explicitly must be one of
    those (or have no suffix, like a script run through its shebang). Anything else would
    otherwise pass silently as "0 files".
    """
    out: dict[str, str] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_symlink() and not path.exists():
            out[raw] = "broken symbolic link"
            continue
        if not path.exists() or path.is_dir():
            continue  # a missing path is reported by discovery; a folder is walked
        special = ("/dev/", "/proc/")
        named = os.path.abspath(raw)
        if named.startswith(special) or os.path.realpath(raw).startswith(special):
            out[raw] = "a device, not a file (to lint stdin, use `--stdin-filename PATH -`)"
            continue
        if not path.is_file():
            out[raw] = "not a regular file"
            continue
        reason = _unlintable_suffix(raw)
        if reason is not None:
            out[raw] = reason
    return out


def _unlintable_suffix(name: str) -> str | None:
    from preplint.discovery import SUFFIXES

    suffix = Path(name).suffix
    if suffix in SUFFIXES or suffix == "":
        return None
    return f"not a Python file or notebook ({suffix}; preplint lints .py and .ipynb)"


def _fix_warnings(failed: dict[str, str]) -> None:
    # How many more fixes need --unsafe-fixes is in the summary, which counts them.
    for path, reason in sorted(failed.items()):
        click.echo(f"preplint: warning: {path}: not fixed: {reason}", err=True)


def _render(report: Report, output_format: str) -> str:
    if output_format == "json":
        from preplint.report.jsonout import render_json

        return render_json(report)
    from preplint import render_input

    if output_format == "sarif":
        from preplint.report.sarif import render_sarif
        from preplint.rules import all_rules

        return render_sarif(
            report,
            render_input.sarif_rules(all_rules()),
            render_input.notebook_lines(report.diagnostics),
        )
    if output_format == "github":
        from preplint.report.github import render_github

        return render_github(report, render_input.notebook_lines(report.diagnostics))
    raise ValueError(f"unknown format {output_format!r}")


@main.command()
@click.argument("code", required=False)
def rule(code: str | None) -> None:
    """Explain one rule (CODE), list a family (e.g. PRE), or list them all, as markdown."""
    from preplint.rules import FAMILIES, all_rules, get_rule

    if code is None:
        click.echo(_rule_table(all_rules()))
        return
    found = get_rule(code)
    if found is None and code.lower() in FAMILIES:
        family = [r for r in all_rules() if r.code.rstrip("0123456789") == code.upper()]
        click.echo(_rule_table(family))
        return
    if found is None:
        click.echo(
            f"preplint: error: unknown rule code or family {code!r} "
            "(run `preplint rule` for the list)",
            err=True,
        )
        sys.exit(EXIT_ERROR)
    click.echo(found.markdown, nl=False)


def _rule_table(rules: Sequence[object]) -> str:
    lines = ["| code | name | severity | summary |", "|---|---|---|---|"]
    for r in rules:
        code, name = getattr(r, "code", ""), getattr(r, "name", "")
        severity, summary = getattr(r, "severity", None), getattr(r, "summary", "")
        label = severity.label if isinstance(severity, Severity) else ""
        if getattr(r, "preview", False):
            label += " (preview)"
        lines.append(f"| {code} | {name} | {label} | {summary} |")
    return "\n".join(lines)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="PREPLINT_CACHE_DIR",
    help="The cache to remove (default: the one `check` uses for PATHS).",
)
def clean(paths: tuple[str, ...], cache_dir: str | None) -> None:
    """Remove the facts cache (`.preplint_cache` at the project root of PATHS, default ".")."""
    import shutil

    from preplint.cache import default_cache_dir

    try:
        folder = (
            Path(cache_dir) if cache_dir else default_cache_dir(ConfigTree.build(paths or (".",)))
        )
    except PreplintError as exc:
        _usage_error(str(exc))
    if not folder.exists():
        click.echo(f"No cache at {folder}.", err=True)
        return
    if not _is_cache(folder):
        _usage_error(f"{folder}: does not look like a preplint cache; not removed")
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        _usage_error(f"{folder}: cannot remove: {exc.strerror or exc}")
    click.echo(f"Removed {folder}.", err=True)


@main.command("confirm")
@click.argument("artifact", type=click.Path())
@click.option(
    "--input",
    "input_path",
    type=click.Path(dir_okay=False),
    help="A .npy batch to run the model on.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option("--trust-artifacts", is_flag=True, help="Allow loading code stored in the artifact.")
@click.option(
    "--import-project",
    is_flag=True,
    help="Let the worker import modules from the artifact's folder and the current folder.",
)
@click.option(
    "--timeout",
    type=POSITIVE_SECONDS,
    default=60.0,
    show_default=True,
    help="Seconds before the worker is stopped.",
)
@click.option(
    "--memory-limit",
    "memory_limit_mb",
    type=click.IntRange(min=64),
    default=4096,
    show_default=True,
    help="Megabytes of memory the worker may use.",
)
def confirm_command(
    artifact: str,
    input_path: str | None,
    output_format: str,
    trust_artifacts: bool,
    import_project: bool,
    timeout: float,
    memory_limit_mb: int,
) -> None:
    """Audit one saved model: framework, format, versions, custom objects, mode and dtype sensitivity."""
    import json

    from preplint.confirm import ConfirmOptions, audit_artifact, render_audit_text
    from preplint.confirm.probes import not_an_artifact

    path = Path(artifact)
    if not path.exists():
        click.echo(f"preplint: error: {artifact}: no such file or directory", err=True)
        sys.exit(EXIT_ERROR)
    why = not_an_artifact(path)
    if why is not None:
        click.echo(f"preplint: error: {artifact}: {why}", err=True)
        sys.exit(EXIT_ERROR)
    if input_path is not None and not Path(input_path).is_file():
        click.echo(f"preplint: error: {input_path}: no such file", err=True)
        sys.exit(EXIT_ERROR)
    options = ConfirmOptions(
        trust_artifacts=trust_artifacts,
        import_project=import_project,
        timeout=timeout,
        memory_limit_mb=memory_limit_mb,
    )
    audit = audit_artifact(
        path, input_path=Path(input_path) if input_path else None, options=options
    )
    if output_format == "json":
        click.echo(json.dumps(audit, indent=2, sort_keys=True, default=str))
    else:
        click.echo(render_audit_text(audit), nl=False)


@main.command()
def server() -> None:
    """Run the language server on stdin/stdout (needs the `lsp` extra: preplint[lsp])."""
    try:
        from preplint.server import serve
    except ImportError as exc:
        click.echo(
            f"preplint: error: the language server needs pygls ({exc.msg}); "
            "install it with `pip install 'preplint[lsp]'`",
            err=True,
        )
        sys.exit(EXIT_ERROR)
    serve()


def _is_cache(folder: Path) -> bool:
    """A folder preplint wrote: its marker .gitignore says so (`--cache-dir` may name any folder)."""
    try:
        marker = (folder / ".gitignore").read_text(encoding="utf-8")
    except OSError:
        return False
    return marker.startswith("# Created by preplint")


def run() -> None:  # pragma: no cover - console entry for `python -m preplint`
    main(prog_name=os.path.basename(sys.argv[0]) or "preplint")
