"""Giving freed memory back to the operating system after a large parse.

libcst's tree of a large file is a few hundred megabytes of small allocations. Once the tree is
freed, the C allocator keeps those pages for the process (glibc returns only the top of its
heap), and Python's own allocator does not reuse them for its objects: without this, the
resident size of a run stays at its largest parse plus everything allocated after it.
`malloc_trim` (glibc) hands every free page back; elsewhere this does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

# Sources longer than this (characters) are followed by a trim: their tree took some 25 MB.
TRIM_AFTER = 32_000

_trim: Callable[[int], int] | None = None
_looked = False


def give_back() -> None:
    """Return the allocator's free pages to the system (glibc only; cheap: a few ms)."""
    global _trim, _looked
    if not _looked:
        _looked = True
        try:
            import ctypes

            _trim = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError):
            _trim = None
    if _trim is not None:
        _trim(0)
