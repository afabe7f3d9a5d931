"""Facts cache: one JSON entry per file, keyed by content hash, path and preplint version.

Entries are plain JSON decoded into a closed set of preplint's own dataclasses, so a
corrupt or foreign entry can only be rejected, never executed. Writes go through a
temporary file and `os.replace`, so two runs at once never see half an entry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import tempfile
import types
import typing
from collections.abc import Callable, Sequence
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
from preplint.pipeline.parsed import Parsed
from preplint.suppress import Suppressions

if TYPE_CHECKING:
    from preplint.config import Config

_SCHEMA = 7


@functools.cache
def code_stamp() -> str:
    """preplint's own source as it is on disk (names, sizes, mtimes): an edited rule in a
    development checkout must not be answered from results the old code cached."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path.relative_to(package)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:16]


_MAX_ENTRY_BYTES = 64 * 1024 * 1024
_MAX_STATE_BYTES = 1024 * 1024 * 1024


def _classes() -> dict[str, type]:
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


_FIELDS: dict[type, tuple[str, ...]] = {}


def encode(obj: Any) -> Any:
    kind = type(obj)
    if kind is str or kind is int or kind is bool or kind is float or obj is None:
        return obj
    if kind is tuple:
        return {"$t": [encode(v) for v in obj]}
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(obj))
    if names is not None:
        out: dict[str, Any] = {"$": kind.__name__}
        for name in names:
            out[name] = encode(getattr(obj, name))
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
    if isinstance(obj, (str, int, float, bool)):
        return obj
    raise TypeError(f"cannot cache {type(obj).__name__}")


def _hook(classes: dict[str, type]) -> Any:
    """A `json.loads` object hook that builds tagged objects as the parser meets them (inner
    ones first), checking each dataclass field; untagged objects (documents) stay dicts."""

    def hook(data: dict[str, Any]) -> Any:
        if "$" in data:
            cls = classes.get(data["$"])
            if cls is None:
                raise _Rejected(f"unknown type {data['$']!r}")
            hints = _field_types(cls)
            del data["$"]
            for name, value in data.items():
                hint = hints.get(name)
                if hint is None:
                    raise _Rejected("unexpected fields")
                if not _checker(hint)(value):
                    raise _Rejected(f"{cls.__name__}.{name}: not a {hint}")
            return cls(**data)
        if len(data) == 1:
            if "$t" in data:
                items = data["$t"]
                if not isinstance(items, list):
                    raise _Rejected("a tuple that is not a list")
                return tuple(items)
            if "$fs" in data:
                items = data["$fs"]
                if not isinstance(items, list):
                    raise _Rejected("a set that is not a list")
                return frozenset(items)
            if "$d" in data:
                pairs = data["$d"]
                if not isinstance(pairs, list) or not all(
                    isinstance(p, list) and len(p) == 2 for p in pairs
                ):
                    raise _Rejected("a mapping that is not a list of pairs")
                return {k: v for k, v in pairs}
            if "$sev" in data:
                return Severity(data["$sev"])
        return data

    return hook


def loads(text: str, classes: dict[str, type]) -> Any:
    """A cache document, its tagged objects rebuilt and checked (raises on anything else)."""
    return json.loads(text, object_hook=_hook(classes))


def decode(data: Any, classes: dict[str, type]) -> Any:
    """Decoded JSON data (as `json.loads` gives it) rebuilt as `loads` does."""
    return loads(json.dumps(data), classes)


_HINTS: dict[type, dict[str, Any]] = {}


def _field_types(cls: type) -> dict[str, Any]:
    """Each field's declared type, for checking a decoded entry field by field."""
    hints = _HINTS.get(cls)
    if hints is None:
        resolved = typing.get_type_hints(cls)
        hints = {f.name: resolved[f.name] for f in dataclasses.fields(cls) if f.name != "extra"}
        _HINTS[cls] = hints
    return hints


_CHECKERS: dict[Any, Any] = {}


def _checker(hint: Any) -> Any:
    """A function telling whether a value has type `hint` (made once per hint)."""
    found = _CHECKERS.get(hint)
    if found is None:
        found = _CHECKERS[hint] = _make_checker(hint)
    return found


def _make_checker(hint: Any) -> Any:  # noqa: C901 - one branch per kind of type
    if hint is Any or hint is object:
        return lambda v: True
    if hint is type(None):
        return lambda v: v is None
    origin = typing.get_origin(hint)
    if origin is None:
        if hint is float:
            return lambda v: type(v) in (int, float)
        if hint is int:
            return lambda v: type(v) is int  # not a bool, not a Severity
        if hint is str:
            return lambda v: type(v) is str
        return lambda v: isinstance(v, hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        parts = [_checker(arg) for arg in args]
        return lambda v: any(part(v) for part in parts)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _checker(args[0])
            if args[0] is Any or args[0] is object:
                return lambda v: isinstance(v, tuple)
            return lambda v: isinstance(v, tuple) and all(map(item, v))
        items = [_checker(arg) for arg in args]
        return lambda v: (
            isinstance(v, tuple)
            and len(v) == len(items)
            and all(check(x) for check, x in zip(items, v, strict=False))
        )
    if origin is frozenset or origin is list:
        item = _checker(args[0])
        return lambda v: isinstance(v, origin) and all(map(item, v))
    if origin is dict:
        key, val = _checker(args[0]), _checker(args[1])
        return lambda v: isinstance(v, dict) and all(key(k) and val(x) for k, x in v.items())
    return lambda v: False  # a type the cache does not know how to check: do not trust it


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


class Reads:
    """Every file a partner search looked at, with what it held ("-": not a readable file).

    A cached run is reused only while each of them still holds the same: a partner that did
    not parse, or a sibling that may start naming the same artifact, can change the result.
    """

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def data(self, path: Path) -> bytes | None:
        try:
            data = path.read_bytes() if path.is_file() else None
        except OSError:
            data = None
        self.seen[str(path)] = content_digest(data)
        return data

    def is_file(self, path: Path) -> bool:
        if str(path) not in self.seen:
            self.data(path)
        return self.seen[str(path)] != "-"


def content_digest(data: bytes | None) -> str:
    return "-" if data is None else hashlib.sha256(data).hexdigest()


def _drop(entry: Path) -> None:
    with contextlib.suppress(OSError):
        entry.unlink()


class FactsCache:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._classes: dict[str, type] | None = None
        self._ready = False

    def _key(self, data: bytes, shown: str) -> str:
        digest = hashlib.sha256()
        digest.update(f"preplint {__version__} {code_stamp()} schema {_SCHEMA}\0{shown}\0".encode())
        digest.update(data)
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, file: Path, shown: str) -> Parsed | None:
        try:
            data = file.read_bytes()
        except OSError:
            return None
        key = self._key(data, shown)
        entry = self._entry(key)
        parsed = self._decoded(entry, key, "parsed", version=__version__)
        if parsed is None:
            return None
        if not isinstance(parsed, Parsed) or parsed.path != shown:
            _drop(entry)
            return None
        return parsed

    def _document(
        self,
        entry: Path,
        key: str,
        limit: int = _MAX_ENTRY_BYTES,
        classes: dict[str, type] | None = None,
    ) -> dict[str, Any] | None:
        """The JSON document of an entry (tagged objects rebuilt when `classes` are given), or
        None; a broken entry is deleted, so the run that follows writes a good one in its place."""
        try:
            if not entry.is_file():
                return None
            if entry.stat().st_size > limit:
                _drop(entry)
                return None
            text = entry.read_text(encoding="utf-8")
        except OSError:
            return None
        try:
            document = json.loads(text) if classes is None else loads(text, classes)
        except (ValueError, KeyError, TypeError, AttributeError, _Rejected, RecursionError):
            _drop(entry)
            return None
        if not isinstance(document, dict) or document.get("key") != key:
            _drop(entry)
            return None
        return document

    def _decoded(self, entry: Path, key: str, name: str, *, version: str | None = None) -> Any:
        if self._classes is None:
            self._classes = _classes()
        document = self._document(entry, key, classes=self._classes)
        if document is None:
            return None
        if (version is not None and document.get("version") != version) or name not in document:
            _drop(entry)
            return None
        return document[name]

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
        digest = hashlib.sha256(
            f"preplint {__version__} {code_stamp()} schema {_SCHEMA} run\0".encode()
        )
        for part in parts:
            digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
        for shown, data in files:
            digest.update(shown.encode("utf-8", "surrogateescape") + b"\0")
            digest.update(hashlib.sha256(data).digest())
        return digest.hexdigest()

    def get_report(self, key: str) -> Report | None:
        entry = self.folder / "runs" / f"{key}.json"
        document = self._document(entry, key)
        if document is None:
            return None
        # Files read only as partners are not in the key: they must still hash the same.
        partners = document.get("partners", [])
        if not isinstance(partners, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(v, str) for v in p)
            for p in partners
        ):
            _drop(entry)
            return None
        now = Reads()
        for shown, digest in partners:
            now.data(Path(shown))
            if now.seen[shown] != digest:
                return None
        report = self._decoded(entry, key, "report")
        if report is not None and not isinstance(report, Report):
            _drop(entry)
            return None
        return report

    def put_report(self, key: str, report: Report, reads: Sequence[tuple[str, str]] = ()) -> None:
        """Store a run's report with the digest of each file it read beyond its key's files."""
        recorded = [[shown, digest] for shown, digest in reads]
        self._put_latest(
            "runs", key, lambda: {"key": key, "partners": recorded, "report": encode(report)}, 16
        )

    def _put_latest(
        self, kind: str, key: str, document: Callable[[], dict[str, Any]], keep: int
    ) -> None:
        """Write `<kind>/<key>.json`, keeping only the `keep` newest entries of that folder
        (the last few runs are all a warm start needs). A cache that cannot be written only
        costs speed; an entry another run removes meanwhile is no reason not to write."""
        try:
            folder = self.folder / kind
            folder.mkdir(parents=True, exist_ok=True)
            self._mark_folder()
            ages: list[tuple[float, Path]] = []
            for entry in folder.glob("*.json"):
                with contextlib.suppress(OSError):
                    ages.append((entry.stat().st_mtime, entry))
            for _, stale in sorted(ages)[: max(0, len(ages) - keep)]:
                with contextlib.suppress(OSError):
                    stale.unlink()
            text = json.dumps(document(), separators=(",", ":"))
            _write_atomic(folder / f"{key}.json", text)
        except (OSError, TypeError, ValueError, RecursionError):
            return

    # --- incremental runs: per-file records of the last run -----------------------------------

    def _state_entry(self, key: str) -> Path:
        return self.folder / "state" / f"{key}.json"

    def get_state(self, key: str, classes: dict[str, type]) -> Any:
        """The state a run with this key left (validated field by field), or None."""
        entry = self._state_entry(key)
        document = self._document(
            entry, key, limit=_MAX_STATE_BYTES, classes={**_classes(), **classes}
        )
        if document is None:
            return None
        if document.get("version") != __version__:
            _drop(entry)
            return None
        return document.get("state")

    def put_state(self, key: str, state: Any) -> None:
        self._put_latest(
            "state", key, lambda: {"version": __version__, "key": key, "state": encode(state)}, 8
        )

    def _mark_folder(self) -> None:
        if self._ready:
            return
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            with contextlib.suppress(OSError):
                ignore.write_text("# Created by preplint: the facts cache.\n*\n", encoding="utf-8")
        self._ready = True
