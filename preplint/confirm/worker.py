"""The confirmation worker: loads one artifact in its own process and prints probe facts as JSON.

Run as `python -m preplint.confirm.worker` with a JSON request on stdin:
`{"artifact": path, "probes": [...], "trust": bool, "input": path|null, "search_paths": [...],
"audit": bool, "memory_limit_mb": int}`. It writes exactly one JSON line on stdout; the
frameworks' own output goes to stderr.
Only this process imports tensorflow/keras or torch, and only the one the artifact needs.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO, Any

from preplint.confirm import _errors
from preplint.confirm._errors import short_error
from preplint.confirm.probes import VERSION, detect_format
from preplint.confirm.runner import apply_memory_limit


def _claim_stdout() -> IO[str]:
    """Keep the real stdout for the response; everything else written to fd 1 lands on stderr."""
    sys.stdout.flush()
    response_fd = os.dup(1)
    os.dup2(2, 1)  # C++ libraries write to fd 1 directly; they must not corrupt the JSON
    sys.stdout = sys.stderr
    return os.fdopen(response_fd, "w")


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Run the requested probes on the artifact; framework imports happen only in here."""
    path = Path(request["artifact"])
    fmt = detect_format(path)
    response: dict[str, Any] = {
        "artifact": str(path),
        "framework": fmt.framework,
        "format": fmt.format,
        "probes": {},
    }
    probes = set(request.get("probes", []))
    if VERSION in probes:
        from preplint.confirm._versions import read_versions

        response["probes"][VERSION] = read_versions(path, fmt.framework, fmt.format)
        probes.discard(VERSION)
    if not probes and not request.get("audit"):
        return response
    request = {**request, "probes": sorted(probes)}
    if fmt.framework == "keras":
        from preplint.confirm import _keras

        result = _keras.run(path, fmt.format, request)
    elif fmt.framework == "pickle":
        from preplint.confirm import _pickled

        result = _pickled.run(path, fmt.format, request)
    elif fmt.framework == "torch":
        from preplint.confirm import _torch

        result = _torch.run(path, fmt.format, request)
    else:
        return {**response, "error": f"unsupported artifact format {fmt.format}"}
    response["probes"].update(result.pop("probes"))
    response.update(result)
    return response


def main() -> None:
    out = _claim_stdout()
    try:
        request = json.loads(sys.stdin.read())
        _errors.memory_limit_mb = apply_memory_limit(request.get("memory_limit_mb"))
        response = handle(request)
    except Exception as exc:  # reported to the planner as an inconclusive confirmation
        if _errors.is_resource_error(exc):
            response = {"error": short_error(exc), "out_of_memory": True}
        else:
            response = {"error": f"{type(exc).__name__}: {exc}"}
    out.write(json.dumps(response, default=str) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
