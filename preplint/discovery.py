"""Paths on the command line → the .py and .ipynb files to lint, sorted, excludes applied.

Each file and folder is judged by the config of the folder that holds it (see
`ConfigTree`). A walk skips what `exclude` and, inside a git repository, `.gitignore`
(and `.git/info/exclude`) name; a file named on the command line is linted anyway unless
`force-exclude` is on, as pre-commit's hook sets it.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pathspec

from preplint.config import Config, ConfigTree, resolved
from preplint.errors import UsageError

SUFFIXES = (".py", ".ipynb")


def discover(paths: list[str], config: Config, notes: list[str] | None = None) -> list[Path]:
    """Files under `paths`; a missing path is a usage error. Symlink loops are not followed.

    What cannot be linted (a dangling or looping link, a folder that cannot be read) adds one
    line to `notes` and the walk goes on.
    """
    out_notes: list[str] = notes if notes is not None else []
    found: dict[str, Path] = {}
    ignored = Skipped(config)
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{raw}: no such file or directory")
        if path.is_symlink() and _broken(path):
            out_notes.append(f"{raw}: {_broken(path)}, skipped")
            continue
        if path.is_file():
            # A file named explicitly is linted even if its suffix is unusual, unless excluded.
            lintable = path.suffix in SUFFIXES or path.suffix == ""
            if lintable and not (ignored.config_for(path).force_exclude and ignored.named(path)):
                found.setdefault(_key(path), path)
            continue
        if path.is_dir():
            if ignored.config_for(path).force_exclude and ignored.named(path):
                continue
            for file in _walk(path, ignored, out_notes):
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


class Skipped:
    """What a walk leaves out: `exclude` patterns and .gitignore files, per folder."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._ignore_files: dict[Path, pathspec.GitIgnoreSpec | None] = {}
        self._git_roots: dict[Path, Path | None] = {}

    def config_for(self, path: Path) -> Config:
        """The config of the folder that holds `path`; a folder named on the command line
        answers for itself (its own config file, without reading those above it)."""
        if not isinstance(self.config, ConfigTree):
            return self.config
        return self.config.for_folder(path) if path.is_dir() else self.config.for_path(path)

    def excluded(self, path: Path) -> bool:
        """`path`'s own name or place matches an exclude pattern or a .gitignore line."""
        if self.config.excluded(path):
            return True
        return self.config_for(path).respect_gitignore and self.gitignored(path)

    def named(self, path: Path) -> bool:
        """For a path named on the command line: it, or a folder above it, is left out."""
        absolute = Path(os.path.abspath(path))
        if self.excluded(absolute):
            return True
        config = self.config_for(absolute)
        for parent in absolute.parents:
            if parent == resolved(config.root) or parent == parent.parent:
                break
            if config.excluded(parent):
                return True
            if config.respect_gitignore and self.gitignored(parent):
                return True
        return False

    def gitignored(self, path: Path) -> bool:
        absolute = Path(os.path.abspath(path))
        git_root = self._git_root(absolute.parent)
        if git_root is None or absolute == git_root:
            return False
        decision: bool | None = None
        folders = [absolute.parent, *absolute.parent.parents]
        chain = list(reversed(folders[: folders.index(git_root) + 1]))
        is_dir = absolute.is_dir()
        for folder in chain:
            spec = self._spec(folder, git_root)
            if spec is None:
                continue
            rel = absolute.relative_to(folder).as_posix() + ("/" if is_dir else "")
            verdict = _last_match(spec, rel)
            if verdict is not None:
                decision = verdict
        return bool(decision)

    def _git_root(self, folder: Path) -> Path | None:
        if folder in self._git_roots:
            return self._git_roots[folder]
        if (folder / ".git").exists():
            root: Path | None = folder
        elif folder.parent == folder:
            root = None
        else:
            root = self._git_root(folder.parent)
        self._git_roots[folder] = root
        return root

    def _spec(self, folder: Path, git_root: Path) -> pathspec.GitIgnoreSpec | None:
        if folder in self._ignore_files:
            return self._ignore_files[folder]
        lines: list[str] = []
        sources = [folder / ".gitignore"]
        if folder == git_root:
            sources.insert(0, folder / ".git" / "info" / "exclude")
        for source in sources:
            try:
                lines += source.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
        spec = pathspec.GitIgnoreSpec.from_lines(lines) if lines else None
        self._ignore_files[folder] = spec
        return spec


def _last_match(spec: pathspec.PathSpec, rel: str) -> bool | None:
    """As git reads one .gitignore: the last pattern that matches decides (`!` re-includes)."""
    verdict: bool | None = None
    for pattern in spec.patterns:
        if pattern.include is not None and pattern.match_file(rel) is not None:
            verdict = pattern.include
    return verdict


def _walk(root: Path, skipped: Skipped, notes: list[str]) -> list[Path]:
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
        dirnames[:] = sorted(d for d in dirnames if not skipped.excluded(here / d))
        for name in sorted(filenames):
            file = here / name
            if not name.endswith(SUFFIXES) and not file.is_symlink():
                continue
            if file.is_symlink() and not skipped.excluded(file):
                why = _broken(file)
                # A link loop is reported whatever its name (it may have been meant as a folder);
                # a dangling link only when it would have been linted.
                if why == "symlink loop" or (why and name.endswith(SUFFIXES)):
                    notes.append(f"{file}: {why}, skipped")
                    continue
            if name.endswith(SUFFIXES) and not skipped.excluded(file) and file.is_file():
                out.append(file)
    return out
