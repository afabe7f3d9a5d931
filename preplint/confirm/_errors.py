"""Error text and guarded probe calls shared by the worker's probe modules (worker-only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MAX_ERROR = 600
# Text by which the frameworks' allocators say they ran out of memory (not all raise MemoryError).
_OUT_OF_MEMORY = (
    "can't allocate memory",
    "Cannot allocate memory",
    "std::bad_alloc",
    "ResourceExhaustedError",
    "OOM when allocating",
    "out of memory",
    "failed to allocate",
)
# The worker's memory limit, set once it is applied; named when a probe runs into it.
memory_limit_mb: int | None = None


def is_resource_error(exc: BaseException) -> bool:
    """Whether `exc` says the process ran out of memory, rather than the model failing."""
    if isinstance(exc, MemoryError):
        return True
    text = f"{type(exc).__name__}: {exc}"
    return any(marker in text for marker in _OUT_OF_MEMORY)


def resource_facts(exc: BaseException) -> dict[str, Any]:
    """A probe's facts when it hit the memory limit: inconclusive, never evidence about the model."""
    limit = f"limit {memory_limit_mb} MiB" if memory_limit_mb else "no limit set"
    return {
        "error": f"inconclusive: the probe ran out of memory ({limit}): {short_error(exc)}",
        "resource_limit": "memory",
    }


def short_error(exc: BaseException) -> str:
    """The exception as one line, without the full object configs Keras appends."""
    text = " ".join(str(exc).split())
    # Keras wraps the cause after a dump of the whole config; TorchScript puts it last.
    for marker in ("Exception encountered:", "RuntimeError:"):
        if marker in text:
            text = text.rsplit(marker, 1)[1].strip()
    text = text.split(" Full object config:")[0]
    # Keras's advice on registering custom classes follows every missing-class error.
    advice = " Make sure custom classes and functions are decorated"
    if advice in text:
        text = text.split(advice)[0].rstrip(".")
    return f"{type(exc).__name__}: {text[:_MAX_ERROR]}"


def guarded(probe: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one probe; its failure is evidence for the report, not a crash of the worker."""
    try:
        return probe()
    except MemoryError as exc:
        return resource_facts(exc)
    except Exception as exc:
        return resource_facts(exc) if is_resource_error(exc) else {"error": short_error(exc)}
