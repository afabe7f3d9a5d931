"""`[tool.preplint]` in pyproject.toml → a frozen, validated Config."""

from __future__ import annotations

import fnmatch
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preplint.diagnostics import Severity
from preplint.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KNOWN_KEYS = frozenset(
    {
        "select",
        "ignore",
        "fail-on",
        "exclude",
        "per-file-ignores",
        "artifact-roots",
        "confirm-timeout",
        "confirm-memory-mb",
        "import-project",
        "extend-select",
        "preview",
    }
)
DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "env",
    ".env",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".tox",
    ".nox",
    "node_modules",
    "build",
    "dist",
    "site-packages",
    ".ipynb_checkpoints",
    ".eggs",
)
SPECIAL_CODES = ("SYNTAX", "INTERNAL")


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    fail_on: Severity = Severity.WARNING
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    artifact_roots: tuple[str, ...] = ()
    confirm_timeout: float = 60.0
    confirm_memory_mb: int = 4096
    import_project: bool = False  # --confirm may import the project's own modules
    root: Path = field(
        default_factory=Path.cwd
    )  # folder of the config file: patterns are relative to it
    source: str | None = None  # the file the config came from
    # Rules and rule parts below 0.90 precision on public code run only when this is on.
    preview: bool = False

    def selects(self, code: str, path: str | None = None) -> bool:
        if code in SPECIAL_CODES:
            return True
        if not _matches_any(code, self.select) or _matches_any(code, self.ignore):
            return False
        if path is not None and self.per_file_ignores:
            rel = self.relative(path)
            for pattern, codes in self.per_file_ignores:
                if _glob(rel, pattern) and _matches_any(code, codes):
                    return False
        return True

    def relative(self, path: str) -> str:
        try:
            return resolved(Path(path)).relative_to(resolved(self.root)).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def excluded(self, path: Path) -> bool:
        rel = self.relative(str(path))
        parts = rel.split("/")
        for pattern in (*DEFAULT_EXCLUDES, *self.exclude):
            pattern = pattern.rstrip("/")
            if _glob(rel, pattern) or any(fnmatch.fnmatchcase(part, pattern) for part in parts):
                return True
        return False


def resolved(path: Path) -> Path:
    """The absolute path with links followed as far as they go: a symlink loop or a
    dangling link is left unresolved instead of raising (`Path.resolve` raises on loops)."""
    return Path(os.path.realpath(path))


def _glob(rel: str, pattern: str) -> bool:
    return (
        fnmatch.fnmatchcase(rel, pattern)
        or rel.startswith(pattern.rstrip("/") + "/")
        or fnmatch.fnmatchcase(rel, pattern.rstrip("/") + "/*")
    )


def _matches_any(code: str, selectors: tuple[str, ...]) -> bool:
    return any(s == "ALL" or code.startswith(s) for s in selectors)


def known_code(selector: str) -> bool:
    from preplint.rules import all_rules

    if selector == "ALL" or selector in SPECIAL_CODES:
        return True
    from preplint.rules import FAMILIES

    if any(f.upper().startswith(selector) for f in FAMILIES):
        return True
    return any(r.code.startswith(selector) for r in all_rules())


def parse_codes(values: Any, where: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [v for v in values.split(",")]
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}: expected a list of rule codes")
    codes = tuple(v.strip().upper() for v in values if v.strip())
    for code in codes:
        if not known_code(code):
            raise ConfigError(f"{where}: unknown rule code or prefix {code!r}")
    return codes


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.preplint] table, from `start` upwards."""
    current = resolved(start)
    if current.is_file():
        current = current.parent
    for folder in (current, *current.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "preplint" in data.get("tool", {}):
                return candidate
    return None


def load_config(path: Path | None, *, required: bool = False) -> Config:
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("preplint")
    if table is None:
        # A standalone preplint.toml may hold the keys at top level.
        table = data if path.name != "pyproject.toml" else {}
    return config_from_table(table, path)


def config_from_table(table: dict[str, Any], path: Path) -> Config:
    where = f"{path} [tool.preplint]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    for key in table:
        if key not in KNOWN_KEYS:
            hint = ""
            close = [
                k for k in KNOWN_KEYS if k.replace("-", "_") == key or k == key.replace("_", "-")
            ]
            if close:
                hint = f" (did you mean {close[0]!r}?)"
            raise ConfigError(f"{where}: unknown key {key!r}{hint}")
    select = parse_codes(table.get("select", ["ALL"]), f"{where} select")
    select += parse_codes(table.get("extend-select", []), f"{where} extend-select")
    ignore = parse_codes(table.get("ignore", []), f"{where} ignore")
    fail_on_text = table.get("fail-on", "warning")
    try:
        fail_on = Severity.parse(str(fail_on_text))
    except ValueError as exc:
        raise ConfigError(f"{where} fail-on: {exc}") from None
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        raise ConfigError(f"{where} exclude: expected a list of paths or globs")
    pfi_table = table.get("per-file-ignores", {})
    if not isinstance(pfi_table, dict):
        raise ConfigError(f"{where} per-file-ignores: expected a table of glob = [codes]")
    per_file = tuple(
        (pattern, parse_codes(codes, f"{where} per-file-ignores {pattern!r}"))
        for pattern, codes in pfi_table.items()
    )
    roots = table.get("artifact-roots", [])
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        raise ConfigError(f"{where} artifact-roots: expected a list of folders")
    timeout = table.get("confirm-timeout", 60.0)
    if (
        not isinstance(timeout, (int, float))
        or isinstance(timeout, bool)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise ConfigError(f"{where} confirm-timeout: expected a finite, positive number of seconds")
    memory = table.get("confirm-memory-mb", 4096)
    if not isinstance(memory, int) or isinstance(memory, bool) or memory < 64:
        raise ConfigError(
            f"{where} confirm-memory-mb: expected a whole number of megabytes (at least 64)"
        )
    preview = table.get("preview", False)
    if not isinstance(preview, bool):
        raise ConfigError(f"{where} preview: expected true or false")
    import_project = table.get("import-project", False)
    if not isinstance(import_project, bool):
        raise ConfigError(f"{where} import-project: expected true or false")
    return Config(
        preview=preview,
        select=select,
        ignore=ignore,
        fail_on=fail_on,
        exclude=tuple(exclude),
        per_file_ignores=per_file,
        artifact_roots=tuple(roots),
        confirm_timeout=float(timeout),
        confirm_memory_mb=memory,
        import_project=import_project,
        root=resolved(path.parent),
        source=str(path),
    )
