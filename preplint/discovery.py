"""Paths on the command line → the .py and .ipynb files to lint, sorted, excludes applied."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from preplint.config import Config, resolved
from preplint.errors import UsageError

SUFFIXES = (".py", ".ipynb")


def discover(paths: list[str], config: Config, notes: list[str] | None = None) -> list[Path]:
    """Files under `paths`; a missing path is a usage error. Symlink loops are not followed.

    What cannot be linted (a dangling or looping link, a folder that cannot be read) adds one
    line to `notes` and the walk goes on.
    """
    out_notes: list[str] = notes if notes is not None else []
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{raw}: no such file or directory")
        if path.is_symlink() and _broken(path):
            out_notes.append(f"{raw}: {_broken(path)}, skipped")
            continue
        if path.is_file():
            # A file named explicitly is linted even if its suffix is unusual, unless excluded.
            if path.suffix in SUFFIXES or path.suffix == "":
                found.setdefault(_key(path), path)
            continue
        if path.is_dir():
            for file in _walk(path, config, out_notes):
                found.setdefault(_key(file), file)
    return sorted(found.values(), key=lambda p: p.as_posix())


def _key(path: Path) -> str:
    return str(resolved(path))


def _broken(path: Path) -> str:
    """Why following the link `path` fails ("symlink loop", "dangling symlink"), or ""."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
        if exc.errno == errno.ENOENT:
            return f"dangling symlink to {os.readlink(path)}"
        return f"cannot follow symlink: {exc.strerror or exc}"
    return ""


def _walk(root: Path, config: Config, notes: list[str]) -> list[Path]:
    out: list[Path] = []
    seen_dirs: set[tuple[int, int]] = set()

    def unreadable(exc: OSError) -> None:
        notes.append(
            f"{os.path.normpath(exc.filename)}: cannot read folder: {exc.strerror or exc}, skipped"
        )

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError as exc:
            notes.append(
                f"{os.path.normpath(dirpath)}: cannot read folder: {exc.strerror or exc}, skipped"
            )
            dirnames[:] = []
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in seen_dirs:  # a symlink loop or a second link to the same folder
            if os.path.islink(dirpath):
                notes.append(
                    f"{os.path.normpath(dirpath)}: symlink to a folder already linted, not followed"
                )
            dirnames[:] = []
            continue
        seen_dirs.add(ident)
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not config.excluded(here / d))
        for name in sorted(filenames):
            file = here / name
            if file.is_symlink() and not config.excluded(file):
                why = _broken(file)
                # A link loop is reported whatever its name (it may have been meant as a folder);
                # a dangling link only when it would have been linted.
                if why == "symlink loop" or (why and name.endswith(SUFFIXES)):
                    notes.append(f"{file}: {why}, skipped")
                    continue
            if name.endswith(SUFFIXES) and not config.excluded(file) and file.is_file():
                out.append(file)
    return out
