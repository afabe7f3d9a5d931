"""The command line: the only module that prints, reads argv or exits."""

from __future__ import annotations

import math
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

import click

from preplint import __version__
from preplint.config import Config, find_config, load_config, parse_codes
from preplint.diagnostics import Diagnostic, Report, Severity
from preplint.errors import PreplintError

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
    return parse_codes(value, f"--{option}")


def _resolve_config(config_path: str | None, paths: tuple[str, ...]) -> Config:
    if config_path is not None:
        return load_config(Path(config_path))
    start = Path(paths[0]) if paths else Path.cwd()
    if not start.exists():
        start = Path.cwd()
    found = find_config(start)
    return load_config(found) if found is not None else Config()


def _exit_status(report: Report, fail_on: Severity) -> int:
    if any(d.code == "INTERNAL" for d in report.diagnostics):
        return EXIT_ERROR
    if any(d.severity >= fail_on for d in report.diagnostics):
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
@click.version_option(__version__, prog_name="preplint")
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
@click.option("--diff", is_flag=True, help="Show the fixes as a diff instead of writing them.")
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="Also apply fixes that change results (e.g. seeding a split).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (default: nearest pyproject.toml with [tool.preplint]).",
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
    help="Where the facts cache lives.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Worker processes (default: the number of cores).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary.")
@click.option("--show-source", is_flag=True, help="Show the offending line under each finding.")
@click.option("--statistics", is_flag=True, help="Count findings by code.")
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
    ignore: str | None,
    confirm: bool,
    trust_artifacts: bool,
    import_project: bool,
    fix: bool,
    diff: bool,
    unsafe_fixes: bool,
    config_path: str | None,
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
    """Lint PATHS (files or folders; default: the current folder)."""
    from preplint.engine import lint_project

    stdin_path = _stdin_path(paths, stdin_filename, fix or diff)
    paths = paths or (".",)
    unlintable = {} if stdin_path is not None else _unlintable_paths(paths)
    for raw, reason in unlintable.items():
        click.echo(f"preplint: error: {raw}: {reason}", err=True)
    paths = tuple(p for p in paths if p not in unlintable)
    if not paths:
        sys.exit(EXIT_ERROR)
    try:
        config = _resolve_config(
            config_path, paths if stdin_path is None else (str(Path(stdin_path).parent),)
        )
        selected = _codes("select", select)
        ignored = _codes("ignore", ignore)
        if selected is not None:
            config = replace(config, select=selected)
        if ignored is not None:
            config = replace(config, ignore=config.ignore + ignored)
        if fail_on is not None:
            config = replace(config, fail_on=Severity.parse(fail_on))
        if preview:
            config = replace(config, preview=True)
        cache = None
        if not no_cache:
            from preplint.cache import FactsCache, default_cache_dir

            cache = FactsCache(Path(cache_dir) if cache_dir else default_cache_dir(config))
        if stdin_path is not None:
            from preplint.engine import ReadOnlyCache, lint_text

            # An editor's buffer run reads the facts cache but never writes it.
            read_only = ReadOnlyCache(cache) if cache is not None else None
            data = click.get_binary_stream("stdin").read()
            report = lint_text(data, stdin_path, config, cache=read_only).report
        else:
            report = lint_project(list(paths), config, jobs=jobs, cache=cache)
    except PreplintError as exc:
        click.echo(f"preplint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    for note in report.notes:
        click.echo(f"preplint: warning: {note}", err=True)
    _report_internal(report)

    if diff:
        from preplint.fix import apply_fixes

        outcome = apply_fixes(report.diagnostics, unsafe=unsafe_fixes)
        _fix_warnings(outcome.failed, outcome.skipped, unsafe_fixes, output_format)
        for path in sorted(outcome.diffs):
            click.echo(outcome.diffs[path], nl=False)
        sys.exit(EXIT_FINDINGS if outcome.fixed else EXIT_CLEAN)
    if fix:
        from preplint.fix import fix_until_stable

        def relint() -> Report:
            return lint_project(list(paths), config, jobs=jobs, cache=cache)

        done = fix_until_stable(report, relint, unsafe=unsafe_fixes)
        _fix_warnings(done.failed, done.skipped, unsafe_fixes, output_format)
        for path in done.unstable:
            click.echo(
                f"preplint: warning: {path}: fixes did not settle; left as the last fix that parsed",
                err=True,
            )
        if done.fixed and output_format == "text":
            click.echo(f"Fixed {done.fixed} finding{'s' if done.fixed != 1 else ''}.", err=True)
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
        )
    else:
        text = _render(report, output_format)
    click.echo(text, nl=False)
    if unlintable:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_CLEAN if exit_zero else _exit_status(report, config.fail_on))


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


def _fix_warnings(
    failed: dict[str, str], skipped: Sequence[Diagnostic], unsafe_fixes: bool, output_format: str
) -> None:
    for path, reason in sorted(failed.items()):
        click.echo(f"preplint: warning: {path}: not fixed: {reason}", err=True)
    unsafe_left = sum(1 for d in skipped if d.fix is not None and d.fix.unsafe and not unsafe_fixes)
    if unsafe_left and output_format == "text":
        click.echo(
            f"{unsafe_left} more fix{'es' if unsafe_left != 1 else ''} available with `--unsafe-fixes`.",
            err=True,
        )


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
    """Explain one rule (or list them all) as markdown."""
    from preplint.rules import all_rules, get_rule

    if code is None:
        lines = ["| code | name | severity | summary |", "|---|---|---|---|"]
        for r in all_rules():
            severity = r.severity.label + (" (preview)" if r.preview else "")
            lines.append(f"| {r.code} | {r.name} | {severity} | {r.summary} |")
        click.echo("\n".join(lines))
        return
    found = get_rule(code)
    if found is None:
        click.echo(
            f"preplint: error: unknown rule code {code!r} (run `preplint rule` for the list)",
            err=True,
        )
        sys.exit(EXIT_ERROR)
    click.echo(found.markdown, nl=False)


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


def run() -> None:  # pragma: no cover - console entry for `python -m preplint`
    main(prog_name=os.path.basename(sys.argv[0]) or "preplint")
