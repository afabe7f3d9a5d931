"""Fetch the pinned benchmark corpus (package sdists) and select its training-style files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

# Pinned so that numbers from different days and machines are about the same bytes.
PACKAGES: tuple[tuple[str, str], ...] = (
    ("keras", "3.15.1"),
    ("transformers", "5.23.0"),
    ("diffusers", "0.42.1"),
    ("timm", "1.0.31"),
    ("lightning", "2.6.6"),
    ("accelerate", "1.15.0"),
)

CACHE_ENV = "PREPLINT_BENCH_CACHE"
DEFAULT_CACHE = Path(__file__).resolve().parent / ".cache"
SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")
DONE_MARKER = ".complete"
# Bumped when the unpacked layout changes, so old caches are unpacked again.
LAYOUT = "2"
# Kept from the top of each sdist besides the .py files: preplint takes the nearest folder
# holding one of these as the project it scans for partner files, so without them every
# package would belong to whatever project holds the cache folder (this repository).
PROJECT_MARKERS = frozenset({"pyproject.toml", "setup.cfg"})

# A file "is an ML script" when it imports a framework and does something a training or
# inference loop does; both tests are byte searches so selection never depends on a parser.
_FRAMEWORK_IMPORT = re.compile(
    rb"^[ \t]*(?:from|import)[ \t]+(?:torch|tensorflow|keras|lightning)\b", re.MULTILINE
)
_TRAINING_MARKERS: tuple[bytes, ...] = (
    b".fit(",
    b".backward(",
    b"optimizer.step(",
    b".zero_grad(",
    b".train()",
    b".eval()",
)


def default_cache_dir() -> Path:
    """`$PREPLINT_BENCH_CACHE` if set, else `bench/.cache` next to this file."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser().resolve() if env else DEFAULT_CACHE


def fetch_corpus(cache_dir: Path | None = None) -> Path:
    """Download (once) and unpack (once) the pinned sdists; return the folder of .py files.

    The returned folder holds one sub-folder per package, `name-version/`, with the
    sdist's `.py` files at their paths inside the archive.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    sdists_dir = cache / "sdists"
    root = cache / "corpus"
    root.mkdir(parents=True, exist_ok=True)
    missing = [(n, v) for n, v in PACKAGES if not _is_unpacked(root / f"{n}-{v}")]
    if not missing:
        return root
    sdists_dir.mkdir(parents=True, exist_ok=True)
    _download([(n, v) for n, v in missing if _find_sdist(sdists_dir, n, v) is None], sdists_dir)
    for name, version in missing:
        sdist = _find_sdist(sdists_dir, name, version)
        if sdist is None:
            raise RuntimeError(
                f"pip reported success but no sdist for {name}=={version} in {sdists_dir}"
            )
        _unpack_into(sdist, root / f"{name}-{version}")
    return root


def _is_unpacked(folder: Path) -> bool:
    try:
        return (folder / DONE_MARKER).read_text().split()[-1] == LAYOUT
    except (OSError, IndexError):
        return False


def _download(packages: list[tuple[str, str]], dest: Path) -> None:
    if not packages:
        return
    specs = [f"{name}=={version}" for name, version in packages]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    cmd += ["--dest", str(dest), *specs]
    print(f"downloading {' '.join(specs)} ...", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        raise RuntimeError(f"pip download failed (exit {proc.returncode}):\n{tail}")


def _find_sdist(folder: Path, name: str, version: str) -> Path | None:
    # sdist names normalise differently across build backends (dashes, underscores, case).
    stems = {f"{name}-{version}", f"{name.replace('-', '_')}-{version}"}
    for path in sorted(folder.iterdir()):
        lowered = path.name.lower()
        for suffix in SDIST_SUFFIXES:
            if lowered.endswith(suffix) and lowered[: -len(suffix)] in stems:
                return path
    return None


def _unpack_into(sdist: Path, dest: Path) -> None:
    """Unpack only the .py files, into a temporary folder renamed into place at the end.

    The rename makes an interrupted unpack look like no unpack at all next time.
    """
    if dest.exists():
        shutil.rmtree(dest)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        for relative, data in _py_members(sdist):
            target = tmp.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (tmp / DONE_MARKER).write_text(f"{sdist.name} layout {LAYOUT}\n")
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _py_members(sdist: Path) -> Iterator[tuple[PurePosixPath, bytes]]:
    """Yield (safe relative path below the archive's top folder, bytes) for each file kept."""
    if sdist.name.lower().endswith(".zip"):
        with zipfile.ZipFile(sdist) as zf:
            for info in zf.infolist():
                relative = _safe_relative(info.filename)
                if relative is not None and not info.is_dir():
                    yield relative, zf.read(info)
        return
    with tarfile.open(sdist) as tf:
        for member in tf:
            # Links could point outside the tree; only regular files are copied.
            relative = _safe_relative(member.name)
            if relative is None or not member.isreg():
                continue
            handle = tf.extractfile(member)
            if handle is not None:
                with handle:
                    yield relative, handle.read()


def _safe_relative(name: str) -> PurePosixPath | None:
    """The member's path below the sdist's top folder, or None if it is not kept or not safe.

    Kept: .py files, and the project markers at the top of the sdist. Absolute paths,
    drive letters, `..` parts and backslashes are refused so that no archive can write
    outside the destination folder.
    """
    if "\\" in name or ":" in name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute():
        return None
    parts = [p for p in path.parts if p not in ("", ".")]
    if any(p == ".." for p in parts) or len(parts) < 2:
        return None
    relative = PurePosixPath(*parts[1:])
    marker = len(relative.parts) == 1 and relative.name in PROJECT_MARKERS
    return relative if relative.suffix == ".py" or marker else None


def all_py_files(root: Path) -> list[Path]:
    """Every .py file of the corpus, sorted by path below `root` for a stable order."""
    root = Path(root)
    return sorted(
        (p for p in root.rglob("*.py") if p.is_file()),
        key=lambda p: p.relative_to(root).as_posix(),
    )


def is_ml_script(source: bytes) -> bool:
    """True when the source imports an ML framework and trains, steps or switches mode."""
    if not _FRAMEWORK_IMPORT.search(source):
        return False
    return any(marker in source for marker in _TRAINING_MARKERS)


def ml_scripts(root: Path) -> list[Path]:
    """The "ml-scripts" subset of the corpus under `root`, sorted and deterministic."""
    return [p for p in all_py_files(root) if is_ml_script(p.read_bytes())]


def count_lines(paths: list[Path]) -> int:
    """Physical lines, counting a last line without a newline."""
    total = 0
    for path in paths:
        data = path.read_bytes()
        total += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return total


if __name__ == "__main__":
    corpus_root = fetch_corpus()
    everything = all_py_files(corpus_root)
    subset = ml_scripts(corpus_root)
    print(f"{corpus_root}: {len(everything)} .py files, {count_lines(everything)} lines")
    print(f"ml-scripts: {len(subset)} files, {count_lines(subset)} lines")
