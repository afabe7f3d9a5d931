"""Baseline for the benchmark: parse each file named on the command line with libcst, nothing more."""

from __future__ import annotations

import sys
from pathlib import Path

import libcst


def main(paths: list[str]) -> int:
    failed = 0
    for name in paths:
        # Bytes, as a linter must read them: libcst detects the encoding itself.
        source = Path(name).read_bytes()
        try:
            libcst.parse_module(source)
        except Exception:  # a file libcst rejects must not end the baseline early
            failed += 1
    print(f"parsed {len(paths) - failed} files, {failed} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
