"""Paths on the command line → the .py and .ipynb files to lint, sorted, excludes applied."""

from __future__ import annotations

import os
from pathlib import Path

from preplint.config import Config
from preplint.errors import UsageError

SUFFIXES = (".py", ".ipynb")


def discover(paths: list[str], config: Config) -> list[Path]:
    """Files under `paths`; a missing path is a usage error. Symlink loops are not followed."""
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{raw}: no such file or directory")
        if path.is_file():
            # A file named explicitly is linted even if its suffix is unusual, unless excluded.
            if path.suffix in SUFFIXES or path.suffix == "":
                found.setdefault(_key(path), path)
            continue
        if path.is_dir():
            for file in _walk(path, config):
                found.setdefault(_key(file), file)
    return sorted(found.values(), key=lambda p: p.as_posix())


def _key(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):
        return str(path.absolute())


def _walk(root: Path, config: Config) -> list[Path]:
    out: list[Path] = []
    seen_dirs: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in seen_dirs:  # a symlink loop or a second link to the same folder
            dirnames[:] = []
            continue
        seen_dirs.add(ident)
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not config.excluded(here / d))
        for name in sorted(filenames):
            if name.endswith(SUFFIXES):
                file = here / name
                if not config.excluded(file) and file.is_file():
                    out.append(file)
    return out
