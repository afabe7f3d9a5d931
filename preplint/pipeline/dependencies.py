"""Dependency files (requirements, pyproject ...) from each linted file up to its project root."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from preplint.config import Config, resolved
from preplint.pipeline.paths import display_path

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
