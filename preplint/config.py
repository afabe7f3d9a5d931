"""`[tool.preplint]` in pyproject.toml → a frozen, validated Config."""

from __future__ import annotations

import functools
import math
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pathspec

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
        "extend-ignore",
        "extend-exclude",
        "force-exclude",
        "respect-gitignore",
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
SPECIAL_CODES = ("SYNTAX", "INTERNAL", "SUPPRESSION")
CONFIG_FILE_NAMES = ("preplint.toml", "pyproject.toml")  # in one folder, the first wins


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
    force_exclude: bool = False  # excludes also apply to files named on the command line
    respect_gitignore: bool = True

    def previews(self, path: str | None = None) -> bool:
        """Whether rules in preview run (for `path`; without one: for any file of the run)."""
        return self.preview

    def selects(self, code: str, path: str | None = None) -> bool:
        if code in SPECIAL_CODES:
            return True
        if not _matches_any(code, self.select) or _matches_any(code, self.ignore):
            return False
        if path is not None and self.per_file_ignores:
            rel = self.relative(path)
            for pattern, codes in self.per_file_ignores:
                if _spec((pattern,)).match_file(rel) and _matches_any(code, codes):
                    return False
        return True

    def relative(self, path: str) -> str:
        try:
            return resolved(Path(path)).relative_to(resolved(self.root)).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def excluded(self, path: Path) -> bool:
        """Whether `path` (a file or a folder) matches `exclude` or the default excludes.

        Patterns have gitignore semantics, relative to the config file's folder: `build`
        matches a `build` at any depth, `/build` only the one beside the config file,
        `scripts/*.py` only files directly in `scripts/`, `**/test_*.py` also a top-level one.
        A folder that matches excludes everything under it.
        """
        rel = self.relative(str(path))
        if rel.startswith("/") or rel.startswith("../"):
            # Outside the config's folder: only the default excludes (by name) can apply.
            return _spec(DEFAULT_EXCLUDES).match_file(Path(path).name)
        spec = _spec((*DEFAULT_EXCLUDES, *self.exclude))
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if spec.match_file(prefix) or (depth < len(parts) and spec.match_file(prefix + "/")):
                return True
        return spec.match_file(rel + "/") if Path(path).is_dir() else False


@functools.lru_cache(maxsize=512)
def _spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def resolved(path: Path) -> Path:
    """The absolute path with links followed as far as they go: a symlink loop or a
    dangling link is left unresolved instead of raising (`Path.resolve` raises on loops)."""
    return Path(os.path.realpath(path))


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


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's table; what cannot be read or parsed is a ConfigError naming file and line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{path}:{line}:{column}: not valid UTF-8 (byte offset {exc.start}): {exc.reason}"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The message ends "(at line L, column C)" (Python 3.14 also has `lineno`).
        text_message = str(exc)
        at = re.search(r"\(at line (\d+), column (\d+)\)\s*$", text_message)
        if at is not None:
            where = f"{path}:{at.group(1)}:{at.group(2)}"
            text_message = text_message[: at.start()].rstrip()
        elif text_message.endswith("(at end of document)"):
            where = f"{path}:{text.rstrip(chr(10)).count(chr(10)) + 1}"
        else:
            where = str(path)
        raise ConfigError(f"{where}: invalid TOML: {text_message}") from None


def config_file_in(folder: Path) -> Path | None:
    """The config file that governs `folder` itself, if it has one.

    A `preplint.toml` always counts; a `pyproject.toml` only with a `[tool.preplint]` table.
    A config file that cannot be parsed is an error, as ruff makes it: skipping it would
    silently drop its excludes and ignores.
    """
    for name in CONFIG_FILE_NAMES:
        candidate = folder / name
        if not candidate.is_file():
            continue
        if name != "pyproject.toml":
            return candidate
        data = read_toml(candidate)
        tool = data.get("tool", {})
        if isinstance(tool, dict) and "preplint" in tool:
            return candidate
    return None


def find_config(start: Path) -> Path | None:
    """The nearest config file (preplint.toml, or pyproject.toml with [tool.preplint]) upwards."""
    current = resolved(start)
    if current.is_file():
        current = current.parent
    for folder in (current, *current.parents):
        found = config_file_in(folder)
        if found is not None:
            return found
    return None


def load_config(path: Path | None, *, required: bool = False) -> Config:
    if path is None:
        return Config()
    data = read_toml(path)
    tool = data.get("tool", {})
    table = tool.get("preplint") if isinstance(tool, dict) else None
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
    if not select:
        raise ConfigError(
            f'{where} select: empty, so no rule would run (use ["ALL"] for every rule)'
        )
    ignore = parse_codes(table.get("ignore", []), f"{where} ignore")
    ignore += parse_codes(table.get("extend-ignore", []), f"{where} extend-ignore")
    fail_on_text = table.get("fail-on", "warning")
    try:
        fail_on = Severity.parse(str(fail_on_text))
    except ValueError as exc:
        raise ConfigError(f"{where} fail-on: {exc}") from None
    exclude: list[str] = []
    for key in ("exclude", "extend-exclude"):
        patterns = table.get(key, [])
        if not isinstance(patterns, list) or not all(isinstance(e, str) for e in patterns):
            raise ConfigError(f"{where} {key}: expected a list of paths or globs")
        exclude += patterns
    flags: dict[str, bool] = {}
    for key, default in (("force-exclude", False), ("respect-gitignore", True)):
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{where} {key}: expected true or false")
        flags[key] = value
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
        force_exclude=flags["force-exclude"],
        respect_gitignore=flags["respect-gitignore"],
    )


@dataclass(frozen=True)
class Overrides:
    """What the command line sets over every config file."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: Severity | None = None
    force_exclude: bool | None = None
    respect_gitignore: bool | None = None
    preview: bool | None = None

    def apply(self, config: Config) -> Config:
        changes: dict[str, Any] = {}
        if self.select is not None or self.extend_select:
            select = self.select if self.select is not None else config.select
            changes["select"] = (*select, *self.extend_select)
        if self.ignore:
            changes["ignore"] = (*config.ignore, *self.ignore)
        if self.fail_on is not None:
            changes["fail_on"] = self.fail_on
        if self.force_exclude is not None:
            changes["force_exclude"] = self.force_exclude
        if self.respect_gitignore is not None:
            changes["respect_gitignore"] = self.respect_gitignore
        if self.preview is not None:
            changes["preview"] = self.preview
        return replace(config, **changes) if changes else config


PROJECT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")


def project_folder(folder: Path) -> Path:
    """The nearest folder upwards with a project marker (.git, pyproject.toml ...), else `folder`."""
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return candidate
    return folder


@dataclass(frozen=True, repr=False)
class ConfigTree(Config):
    """The config of every file, resolved as ruff does: the nearest config file upwards.

    Itself a `Config`: its own fields are the config of the run's common folder (where the
    cache goes, what --confirm uses); `selects` and `excluded` with a path ask the config of
    that path's folder, so the order of the paths on the command line never matters.
    `--config` (`explicit`) overrides every config file.
    """

    explicit: Config | None = None
    overrides: Overrides = field(default_factory=Overrides)
    _folders: dict[Path, Config] = field(default_factory=dict, compare=False)

    @classmethod
    def build(
        cls, paths: Sequence[str], explicit: Path | None = None, overrides: Overrides | None = None
    ) -> ConfigTree:
        """Raises ConfigError for a config file that cannot be read or parsed."""
        overrides = overrides or Overrides()
        fixed = overrides.apply(load_config(explicit)) if explicit is not None else None
        tree = cls(explicit=fixed, overrides=overrides)
        base = tree.for_folder(common_folder(paths))
        values = {f.name: getattr(base, f.name) for f in fields(Config)}
        return cls(**values, explicit=fixed, overrides=overrides, _folders=tree._folders)

    def for_folder(self, folder: Path) -> Config:
        if self.explicit is not None:
            return self.explicit
        folder = resolved(folder)
        known = self._folders.get(folder)
        if known is not None:
            return known
        found = config_file_in(folder)
        if found is not None:
            config = self.overrides.apply(load_config(found))
        elif folder.parent != folder:
            config = self.for_folder(folder.parent)
        else:
            config = self.overrides.apply(Config(root=project_folder(resolved(Path.cwd()))))
        self._folders[folder] = config
        return config

    def for_path(self, path: str | Path) -> Config:
        """The config that governs a file or folder: the one of the folder that holds it."""
        return self.for_folder(Path(os.path.abspath(path)).parent)

    def configs(self) -> list[Config]:
        if self.explicit is not None:
            return [self.explicit]
        unique = {repr(c): c for c in self._folders.values()}
        return [unique[key] for key in sorted(unique)]

    def previews(self, path: str | None = None) -> bool:
        if path is None:
            return any(c.preview for c in self.configs())
        return self.for_path(path).preview

    def selects(self, code: str, path: str | None = None) -> bool:
        if path is None:  # which rules to run at all: those any config selects
            return any(Config.selects(c, code) for c in self.configs())
        return self.for_path(path).selects(code, path)

    def excluded(self, path: Path) -> bool:
        return self.for_path(path).excluded(path)

    def __repr__(self) -> str:
        # Part of the run cache's key: every config that took part.
        return f"ConfigTree({[repr(c) for c in self.configs()]!r})"


def common_folder(paths: Sequence[str]) -> Path:
    folders = []
    for raw in paths or (".",):
        absolute = Path(os.path.abspath(raw))
        folders.append(absolute if absolute.is_dir() else absolute.parent)
    try:
        return Path(os.path.commonpath([str(f) for f in folders]))
    except ValueError:
        return folders[0]
