"""Runs the confirmation worker in a subprocess with a wall-clock timeout and a memory limit."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import preplint
from preplint.confirm.limits import check_memory_limit, check_timeout

# Text in a dying worker's stderr that means it ran out of memory, whichever layer noticed.
_OOM_MARKERS = (
    "MemoryError",
    "Cannot allocate memory",
    "can't allocate memory",
    "std::bad_alloc",
    "failed to map segment",
    "ResourceExhaustedError",
    "out of memory",
    "OOM when allocating",
)
_STDERR_TAIL = 400


@dataclass(frozen=True)
class WorkerOutcome:
    """The worker's JSON response, or why there is none."""

    response: dict[str, Any] | None
    failure: str | None  # e.g. "timed out after 60 s", "out of memory (limit 4096 MiB)"
    seconds: float


def worker_env() -> dict[str, str]:
    """The worker's environment: quiet TensorFlow, no GPU, and this copy of preplint importable."""
    env = dict(os.environ)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["CUDA_VISIBLE_DEVICES"] = ""
    env.setdefault("KERAS_BACKEND", "tensorflow")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # silences a notice; results stay bit-stable
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    package_root = str(Path(preplint.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def apply_memory_limit(limit_mb: object) -> int:
    """Cap this process's data segment; the worker calls it before importing any framework.

    RLIMIT_DATA (Linux >= 4.7 counts heap and private anonymous mappings) rather than
    RLIMIT_AS: TensorFlow maps ~1.5 GB of address space for its shared libraries before
    allocating anything, and more threads on bigger machines, so an address-space cap either
    breaks the import or must be so loose it limits nothing. A tiny Keras model needs ~350 MB
    of data segment, torch ~220 MB. The worker applies it itself rather than through a
    preexec_fn, which is unsafe while the planner's threads start several workers at once.
    """
    megabytes = check_memory_limit(limit_mb)
    try:
        import resource
    except ImportError:  # not POSIX: no limit to apply
        return megabytes
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort must not write a core file
    return megabytes


def _failure_from_exit(returncode: int, stderr: str, limit_mb: int) -> str:
    """Explain a worker that exited without a response."""
    tail = stderr.strip()[-_STDERR_TAIL:]
    if tail and any(marker in stderr for marker in _OOM_MARKERS):
        return f"out of memory (limit {limit_mb} MiB): {tail.splitlines()[-1]}"
    if returncode == -signal.SIGKILL:  # what a kernel or container out-of-memory killer sends
        return f"out of memory (limit {limit_mb} MiB): the worker was killed by SIGKILL"
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else "?"
        return f"worker killed by signal {name}: {tail or 'no output'}"
    return f"worker exited with status {returncode}: {tail or 'no output'}"


def run_worker(request: dict[str, Any], *, timeout: float, memory_limit_mb: int) -> WorkerOutcome:
    """Send `request` to a fresh worker and return its response, never raising on its failure.

    Raises LimitError (a usage error) first when `timeout` or `memory_limit_mb` limits nothing.
    """
    import time

    timeout = check_timeout(timeout)
    memory_limit_mb = check_memory_limit(memory_limit_mb)
    started = time.monotonic()
    # The worker starts in preplint's own folder, not the project's: `python -m` puts the
    # working directory on sys.path, and a project's `keras.py` must not shadow the framework.
    process = subprocess.Popen(
        [sys.executable, "-m", "preplint.confirm.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=worker_env(),
        cwd=str(Path(preplint.__file__).resolve().parent.parent),
        start_new_session=True,  # its own process group, so a timeout kills its children too
        text=True,
    )
    try:
        stdout, stderr = process.communicate(
            json.dumps({**request, "memory_limit_mb": memory_limit_mb}), timeout=timeout
        )
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.communicate()
        return WorkerOutcome(None, f"timed out after {timeout:g} s", time.monotonic() - started)
    seconds = time.monotonic() - started
    response = _parse_response(stdout)
    if response is not None:
        if response.get("out_of_memory"):
            return WorkerOutcome(
                None,
                f"out of memory (limit {memory_limit_mb} MiB): {response.get('error')}",
                seconds,
            )
        return WorkerOutcome(response, None, seconds)
    return WorkerOutcome(
        None, _failure_from_exit(process.returncode, stderr, memory_limit_mb), seconds
    )


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may have exited just now
        os.killpg(process.pid, signal.SIGKILL)


def _parse_response(stdout: str) -> dict[str, Any] | None:
    lines = stdout.strip().splitlines()
    if not lines:
        return None
    try:
        parsed = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None
