"""Checks of the worker's limits: a timeout or memory limit that limits nothing is a usage error."""

from __future__ import annotations

import math

from preplint.errors import UsageError


class LimitError(UsageError, ValueError):
    """A confirmation timeout or memory limit that is not a positive, finite number."""


def check_timeout(seconds: object) -> float:
    """`seconds` as a float, or LimitError when it is not a positive, finite number."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise LimitError(f"confirmation timeout must be a number of seconds, not {seconds!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise LimitError(
            f"confirmation timeout must be a positive, finite number of seconds, not {seconds!r}"
        )
    return float(seconds)


def check_memory_limit(megabytes: object) -> int:
    """`megabytes` as an int, or LimitError when it is not a positive whole number."""
    if isinstance(megabytes, bool) or not isinstance(megabytes, (int, float)):
        raise LimitError(f"confirmation memory limit must be megabytes, not {megabytes!r}")
    if not math.isfinite(megabytes) or megabytes <= 0 or megabytes != int(megabytes):
        raise LimitError(
            "confirmation memory limit must be a positive whole number of megabytes, "
            f"not {megabytes!r}"
        )
    return int(megabytes)
