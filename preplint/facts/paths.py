"""Artifact paths: normalising what scripts write so that a save and a load can be matched."""

from __future__ import annotations

import fnmatch
import posixpath
from functools import lru_cache


@lru_cache(maxsize=4096)
def normalise(path: str) -> str:
    """'./models//clf.keras' → 'models/clf.keras'; unknown parts stay '*'."""
    path = path.replace("\\", "/").strip()
    while "//" in path:
        path = path.replace("//", "/")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    out: list[str] = []
    for part in parts:
        if part == ".." and out and out[-1] not in ("..", "*"):
            out.pop()
        else:
            out.append(part)
    while out and out[0] in ("..", "*", "~"):
        out.pop(0)
    return "/".join(out)


def basename(path: str) -> str:
    return posixpath.basename(normalise(path))


@lru_cache(maxsize=16384)
def paths_match(a: str, b: str) -> bool:
    """Whether two artifact paths plausibly name the same file (same file name, globs allowed)."""
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    ba, bb = posixpath.basename(na), posixpath.basename(nb)
    if ba in ("*", "") or bb in ("*", ""):
        return False
    if "*" in ba or "*" in bb:
        return fnmatch.fnmatchcase(ba, bb) or fnmatch.fnmatchcase(bb, ba)
    return ba == bb


def suffix(path: str) -> str:
    base = basename(path)
    return base.rsplit(".", 1)[1].lower() if "." in base else ""
