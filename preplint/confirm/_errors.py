"""Error text and guarded probe calls shared by the worker's probe modules (worker-only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MAX_ERROR = 600


def short_error(exc: BaseException) -> str:
    """The exception as one line, without the full object configs Keras appends."""
    text = " ".join(str(exc).split())
    # Keras wraps the cause after a dump of the whole config; TorchScript puts it last.
    for marker in ("Exception encountered:", "RuntimeError:"):
        if marker in text:
            text = text.rsplit(marker, 1)[1].strip()
    text = text.split(" Full object config:")[0]
    return f"{type(exc).__name__}: {text[:_MAX_ERROR]}"


def guarded(probe: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one probe; its failure is evidence for the report, not a crash of the worker."""
    try:
        return probe()
    except MemoryError:
        raise
    except Exception as exc:
        return {"error": short_error(exc)}
