"""Facts cache: one JSON entry per file, keyed by content hash, path and preplint version.

Entries are plain JSON decoded into a closed set of preplint's own dataclasses, so a
corrupt or foreign entry can only be rejected, never executed. Writes go through a
temporary file and `os.replace`, so two runs at once never see half an entry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preplint import __version__
from preplint.diagnostics import (
    Confirmation,
    Diagnostic,
    Edit,
    Fix,
    Related,
    Report,
    Severity,
    Span,
)
from preplint.facts.model import Arg, Assign, Call, ClassDef, FileFacts, Function, Loop, Value
from preplint.suppress import Suppressions

if TYPE_CHECKING:
    from preplint.config import Config
    from preplint.engine import Parsed

_SCHEMA = 6
_MAX_ENTRY_BYTES = 64 * 1024 * 1024


def _classes() -> dict[str, type]:
    from preplint.engine import Parsed

    kinds: list[type] = [
        Report,
        Fix,
        Edit,
        Confirmation,
        Parsed,
        FileFacts,
        Call,
        Arg,
        Value,
        Assign,
        Function,
        ClassDef,
        Loop,
        Span,
        Suppressions,
        Diagnostic,
        Related,
    ]
    return {k.__name__: k for k in kinds}


class _Rejected(Exception):
    pass


def encode(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {"$": type(obj).__name__}
        for f in dataclasses.fields(obj):
            out[f.name] = encode(getattr(obj, f.name))
        return out
    if isinstance(obj, Severity):
        return {"$sev": int(obj)}
    if isinstance(obj, tuple):
        return {"$t": [encode(v) for v in obj]}
    if isinstance(obj, frozenset):
        return {"$fs": sorted(encode(v) for v in obj)}
    if isinstance(obj, dict):
        return {"$d": [[encode(k), encode(v)] for k, v in obj.items()]}
    if isinstance(obj, list):
        return [encode(v) for v in obj]
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    raise TypeError(f"cannot cache {type(obj).__name__}")


def decode(data: Any, classes: dict[str, type]) -> Any:
    if isinstance(data, dict):
        if "$" in data:
            cls = classes.get(data["$"])
            if cls is None:
                raise _Rejected(f"unknown type {data['$']!r}")
            names = {f.name for f in dataclasses.fields(cls)}
            kwargs = {k: decode(v, classes) for k, v in data.items() if k != "$"}
            if not set(kwargs) <= names:
                raise _Rejected("unexpected fields")
            return cls(**kwargs)
        if "$t" in data:
            return tuple(decode(v, classes) for v in data["$t"])
        if "$fs" in data:
            return frozenset(decode(v, classes) for v in data["$fs"])
        if "$d" in data:
            return {decode(k, classes): decode(v, classes) for k, v in data["$d"]}
        if "$sev" in data:
            return Severity(data["$sev"])
        raise _Rejected("untagged object")
    if isinstance(data, list):
        return [decode(v, classes) for v in data]
    return data


def default_cache_dir(config: Config) -> Path:
    return Path(config.root) / ".preplint_cache"


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class FactsCache:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._classes: dict[str, type] | None = None
        self._ready = False

    def _key(self, data: bytes, shown: str) -> str:
        digest = hashlib.sha256()
        digest.update(f"preplint {__version__} schema {_SCHEMA}\0{shown}\0".encode())
        digest.update(data)
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, file: Path, shown: str) -> Parsed | None:
        try:
            data = file.read_bytes()
            key = self._key(data, shown)
            entry = self._entry(key)
            if not entry.is_file() or entry.stat().st_size > _MAX_ENTRY_BYTES:
                return None
            document = json.loads(entry.read_text(encoding="utf-8"))
            if (
                not isinstance(document, dict)
                or document.get("key") != key
                or document.get("version") != __version__
            ):
                return None
            if self._classes is None:
                self._classes = _classes()
            parsed = decode(document["parsed"], self._classes)
            from preplint.engine import Parsed

            if not isinstance(parsed, Parsed) or parsed.path != shown:
                return None
            return parsed
        except (OSError, ValueError, KeyError, TypeError, _Rejected, RecursionError):
            return None

    def put(self, file: Path, parsed: Parsed) -> None:
        try:
            data = file.read_bytes()
            key = self._key(data, parsed.path)
            entry = self._entry(key)
            entry.parent.mkdir(parents=True, exist_ok=True)
            self._mark_folder()
            text = json.dumps(
                {"version": __version__, "key": key, "parsed": encode(parsed)},
                separators=(",", ":"),
            )
            _write_atomic(entry, text)
        except (OSError, TypeError, ValueError, RecursionError):
            return  # a cache that cannot be written only costs speed

    # --- whole runs: nothing changed, nothing to redo -----------------------------------------

    def run_key(self, parts: list[str], files: list[tuple[str, bytes]]) -> str:
        digest = hashlib.sha256(f"preplint {__version__} schema {_SCHEMA} run\0".encode())
        for part in parts:
            digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
        for shown, data in files:
            digest.update(shown.encode("utf-8", "surrogateescape") + b"\0")
            digest.update(hashlib.sha256(data).digest())
        return digest.hexdigest()

    def get_report(self, key: str) -> Report | None:
        try:
            entry = self.folder / "runs" / f"{key}.json"
            if not entry.is_file() or entry.stat().st_size > _MAX_ENTRY_BYTES:
                return None
            document = json.loads(entry.read_text(encoding="utf-8"))
            if not isinstance(document, dict) or document.get("key") != key:
                return None
            if self._classes is None:
                self._classes = _classes()
            # Files read only as partners are not in the key: they must still hash the same.
            for shown, digest in document.get("partners", []):
                try:
                    current = hashlib.sha256(Path(shown).read_bytes()).hexdigest()
                except OSError:
                    return None
                if current != digest:
                    return None
            report = decode(document["report"], self._classes)
            return report if isinstance(report, Report) else None
        except (OSError, ValueError, KeyError, TypeError, _Rejected, RecursionError):
            return None

    def put_report(
        self, key: str, report: Report, partners: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        try:
            folder = self.folder / "runs"
            folder.mkdir(parents=True, exist_ok=True)
            self._mark_folder()
            # Keep the run folder small: the last few runs are all a warm start needs.
            old = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-16]
            for stale in old:
                with contextlib.suppress(OSError):
                    stale.unlink()
            recorded = [[shown, hashlib.sha256(data).hexdigest()] for shown, data in partners]
            document = {"key": key, "partners": recorded, "report": encode(report)}
            text = json.dumps(document, separators=(",", ":"))
            _write_atomic(folder / f"{key}.json", text)
        except (OSError, TypeError, ValueError, RecursionError):
            return

    def _mark_folder(self) -> None:
        if self._ready:
            return
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            with contextlib.suppress(OSError):
                ignore.write_text("# Created by preplint: the facts cache.\n*\n", encoding="utf-8")
        self._ready = True
