"""Lists the globals a pickle would import, by walking its opcodes without loading it."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickletools
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from preplint.confirm.safe_pickle import Inflater

# Exact names a pickle may import without running anything beyond building data.
_SAFE_NAMES = frozenset(
    {
        # containers and scalars
        "builtins.set",
        "builtins.frozenset",
        "builtins.dict",
        "builtins.list",
        "builtins.tuple",
        "builtins.slice",
        "builtins.range",
        "builtins.complex",
        "builtins.bytearray",
        "builtins.bytes",
        "builtins.str",
        "builtins.int",
        "builtins.float",
        "builtins.bool",
        "builtins.object",
        "__builtin__.set",
        "__builtin__.frozenset",
        "__builtin__.object",
        "__builtin__.complex",
        "copyreg._reconstructor",
        "copy_reg._reconstructor",
        "_codecs.encode",  # protocol 2 writes bytes through it
        "collections.OrderedDict",
        "collections.defaultdict",
        "collections.Counter",
        "collections.deque",
        "datetime.datetime",
        "datetime.date",
        "datetime.time",
        "datetime.timedelta",
        "datetime.timezone",
        "decimal.Decimal",
        "fractions.Fraction",
        # numpy arrays, dtypes, random states
        "numpy.ndarray",
        "numpy.dtype",
        "numpy.core.multiarray._reconstruct",
        "numpy._core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
        "numpy._core.numeric._frombuffer",
        "numpy.core.numeric._frombuffer",
        "numpy.ma.core._mareconstruct",
        "numpy.random._pickle.__randomstate_ctor",
        "numpy.random._pickle.__generator_ctor",
        "numpy.random._pickle.__bit_generator_ctor",
        "numpy.random.mtrand.RandomState",
        "numpy.random._generator.Generator",
        "numpy.random._mt19937.MT19937",
        "numpy.random._pcg64.PCG64",
        "numpy.random._philox.Philox",
        "numpy.random._sfc64.SFC64",
        # joblib's array wrapper (the array follows it as raw bytes); its legacy NDArrayWrapper names
        # another file to unpickle and is not listed
        "joblib.numpy_pickle.NumpyArrayWrapper",
        # torch tensor rebuilds (the same family torch's weights_only unpickler accepts)
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch._utils._rebuild_sparse_tensor",
        "torch._utils._rebuild_qtensor",
        "torch._utils._rebuild_device_tensor_from_numpy",
        "torch._utils._rebuild_meta_tensor_no_storage",
        "torch._utils._rebuild_wrapper_subclass",
        "torch._tensor._rebuild_from_type_v2",
        "torch.serialization._get_layout",
        "torch.storage.UntypedStorage",
        "torch.storage.TypedStorage",
        "torch.nn.parameter.Parameter",
        "torch.Tensor",
        "torch.Size",
        "torch.device",
        "torch.strided",
        "torch.sparse_coo",
        "torch.per_tensor_affine",
        "torch.per_channel_affine",
    }
)

_NUMPY_SCALARS = re.compile(
    r"numpy\.(u?int(8|16|32|64)|float(16|32|64|128)|complex(64|128|256)|bool_?|str_|bytes_"
    r"|datetime64|timedelta64|longlong|ulonglong|intc|uintc|half|single|double|longdouble)"
)
_NUMPY_DTYPE_CLASS = re.compile(r"numpy\.dtypes\.\w+DType")
_FIXED_DTYPE = re.compile(r"([biufc])(1|2|4|8|16|32)|([Mm])8")
_TORCH_STORAGE = re.compile(r"torch\.(\w+Storage)")
_TORCH_DTYPE = re.compile(
    r"torch\.(u?int(8|16|32|64)|float(16|32|64)|bfloat16|half|double|long|short|bool|cfloat"
    r"|cdouble|complex(32|64|128)|float8_\w+|qint8|quint8|qint32|quint4x2)"
)
# sklearn and scipy.sparse estimators are plain classes whose constructors only store
# parameters; their test helpers are not, so those modules stay out.
_CLASS_PREFIXES = ("sklearn.", "scipy.sparse.")
_DENIED_PREFIXES = ("sklearn.utils._testing", "sklearn.utils.estimator_checks", "sklearn.externals")

# A legacy (non-zip) torch file starts with a pickle of this number, then protocol and
# system info, then the object, then the storage keys; raw storage bytes follow.
_TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_TORCH_LEGACY_PICKLES = 5

# Limits that keep the linter's own process small whatever the artifact holds.
MEMBER_LIMIT = 1 << 30  # decompressed bytes of one archive member or compressed pickle
_KEEP = 4096  # longer string/bytes arguments are skipped, not held: names and codes are short
_MAX_LINE = 1 << 16  # text-protocol arguments end at a newline within this many bytes
_MAX_LIVE = 2_000_000  # symbolic stack and memo entries
_MAX_DICT = 64  # items a symbolic dict keeps (joblib wrapper and dtype states are small)


def is_allowed(name: str, *, torchscript: bool = False) -> bool:
    """Whether importing `module.name` while unpickling only builds data.

    A dotted attribute path (recorded as `module:a.b`) is never allowed: the unpickler would
    follow it out of the module, into whatever that module imported.
    """
    if not all(part.isidentifier() for part in name.split(".")):
        return False
    if name in _SAFE_NAMES:
        return True
    if torchscript and name.startswith("__torch__."):
        # TorchScript resolves these to classes compiled from the archive's own code.
        return True
    if _NUMPY_SCALARS.fullmatch(name) or _NUMPY_DTYPE_CLASS.fullmatch(name):
        return True
    if _TORCH_STORAGE.fullmatch(name) or _TORCH_DTYPE.fullmatch(name):
        return True
    if name.startswith(_CLASS_PREFIXES) and not name.startswith(_DENIED_PREFIXES):
        return name.rsplit(".", 1)[-1][:1].isupper()
    return False


@dataclass(frozen=True)
class PickleScan:
    """What the pickles in one artifact would import if they were loaded."""

    path: str
    kind: str  # "pickle", "joblib", "torch-zip", "torchscript", "torch-export", "torch-legacy"
    members: tuple[str, ...]
    imports: tuple[str, ...]
    disallowed: tuple[str, ...]
    error: str | None = None

    @property
    def safe(self) -> bool:
        """Loading imports nothing outside the allow-list (and the whole stream was read)."""
        return not self.disallowed and self.error is None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "members": list(self.members),
            "imports": list(self.imports),
            "disallowed": list(self.disallowed),
            "error": self.error,
            "safe": self.safe,
        }


class _Mark:
    """The MARK opcode's place on the stack."""


_MARK = _Mark()


@dataclass
class _Global:
    name: str


@dataclass
class _Obj:
    """An object under construction: a call or NEWOBJ of `func`, later given a BUILD state."""

    func: Any
    args: Any
    state: Any = None


class ScanError(ValueError):
    """The stream is not a pickle we can walk to its end, or it is larger than a limit."""


class _Machine:
    """Follows a pickle's stack symbolically, so STACK_GLOBAL names read from the memo resolve."""

    def __init__(self, imports: list[str]) -> None:
        self.imports = imports
        self.stack: list[Any] = []
        self.memo: dict[int, Any] = {}
        self.value: Any = None

    def run(self, stream: IO[bytes]) -> None:
        """Walk one pickle up to its STOP; raw joblib array bytes are skipped on the way."""
        while True:
            code = stream.read(1)
            if not code:
                raise ScanError("pickle ends without STOP")
            try:
                opcode = _OPCODES[code[0]]
            except KeyError:
                raise ScanError(f"not a pickle opcode: {code!r}") from None
            self.step(opcode, _read_arg(opcode, stream))
            if opcode.name == "STOP":
                return
            if opcode.name == "BUILD" and self.stack and _is_joblib_wrapper(self.stack[-1]):
                _skip_joblib_array(self.stack[-1], stream, self.imports)
            if len(self.stack) + len(self.memo) > _MAX_LIVE:
                raise ScanError(f"pickle too large to scan (over {_MAX_LIVE} live objects)")

    def pop_to_mark(self) -> list[Any]:
        items: list[Any] = []
        while self.stack:
            item = self.stack.pop()
            if item is _MARK:
                items.reverse()
                return items
            items.append(item)
        raise ScanError("MARK expected on the stack")

    def pop(self) -> Any:
        if not self.stack:
            raise ScanError("stack underflow")
        return self.stack.pop()

    def record(self, module: Any, name: Any) -> _Global:
        if not isinstance(module, str) or not isinstance(name, str):
            full = "<unresolved STACK_GLOBAL>"
        elif name.isidentifier() and all(p.isidentifier() for p in module.split(".")):
            full = f"{module}.{name}"
        else:
            full = f"{module}:{name}"  # a dotted or odd name: shown as it is, never allowed
        self.imports.append(full)
        return _Global(full)

    def step(self, opcode: pickletools.OpcodeInfo, arg: Any) -> None:
        name = opcode.name
        if name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            glob = self.record(module, attr)
            if name == "INST":
                self.stack.append(_Obj(glob, tuple(self.pop_to_mark())))
            else:
                self.stack.append(glob)
        elif name == "STACK_GLOBAL":
            attr = self.pop()
            module = self.pop()
            self.stack.append(self.record(module, attr))
        elif name in ("EXT1", "EXT2", "EXT4"):
            self.imports.append(f"<copyreg extension {arg}>")
            self.stack.append(_Global(f"<copyreg extension {arg}>"))
        elif name == "MARK":
            self.stack.append(_MARK)
        elif name in ("MEMOIZE",):
            self.memo[len(self.memo)] = self.stack[-1] if self.stack else None
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            self.memo[int(arg)] = self.stack[-1] if self.stack else None
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            self.stack.append(self.memo.get(int(arg)))
        elif name in ("TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "EMPTY_TUPLE"):
            size = {"EMPTY_TUPLE": 0, "TUPLE1": 1, "TUPLE2": 2, "TUPLE3": 3}.get(name)
            items = self.pop_to_mark() if size is None else [self.pop() for _ in range(size)][::-1]
            self.stack.append(tuple(items))
        elif name in ("EMPTY_DICT", "DICT"):
            items = self.pop_to_mark() if name == "DICT" else []
            self.stack.append(_pairs_to_dict(items))
        elif name in ("SETITEM", "SETITEMS"):
            items = self.pop_to_mark() if name == "SETITEMS" else [self.pop(), self.pop()][::-1]
            target = self.stack[-1] if self.stack else None
            if isinstance(target, dict) and len(target) < _MAX_DICT:
                target.update(_pairs_to_dict(items))
        elif name in ("REDUCE", "NEWOBJ"):
            args = self.pop()
            self.stack.append(_Obj(self.pop(), args))
        elif name == "NEWOBJ_EX":
            self.pop()
            args = self.pop()
            self.stack.append(_Obj(self.pop(), args))
        elif name == "OBJ":
            items = self.pop_to_mark()
            self.stack.append(_Obj(items[0] if items else None, tuple(items[1:])))
        elif name == "BUILD":
            state = self.pop()
            if self.stack and isinstance(self.stack[-1], _Obj):
                self.stack[-1].state = state
        elif name == "POP":
            self.pop()
        elif name == "DUP":
            self.stack.append(self.stack[-1] if self.stack else None)
        elif name == "POP_MARK":
            self.pop_to_mark()
        elif name == "STOP":
            self.value = self.pop() if self.stack else None
        elif name in ("FRAME", "PROTO"):
            pass
        elif opcode.arg is not None and not opcode.stack_before:
            self.stack.append(arg)  # a literal: str, bytes, int, float, bool, None
        else:
            self._generic(opcode)

    def _generic(self, opcode: pickletools.OpcodeInfo) -> None:
        """Opcodes whose values don't matter here: keep the stack's shape right."""
        before = opcode.stack_before
        if pickletools.markobject in before:
            self.pop_to_mark()
            for _ in range(before.index(pickletools.markobject)):
                self.pop()
        else:
            for _ in before:
                self.pop()
        if opcode.name == "NONE":
            self.stack.append(None)
        elif opcode.name in ("NEWTRUE", "NEWFALSE"):
            self.stack.append(opcode.name == "NEWTRUE")
        elif opcode.name in ("APPEND", "APPENDS", "ADDITEMS"):
            # These keep their container: it was left under the mark.
            self.stack.append(None)
        else:
            self.stack.extend(None for _ in opcode.stack_after)


def _pairs_to_dict(items: list[Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key, value in zip(items[::2], items[1::2], strict=False):
        try:
            out[key] = value
        except TypeError:  # an unhashable key built symbolically
            continue
    return out


def _is_joblib_wrapper(obj: Any) -> bool:
    return (
        isinstance(obj, _Obj)
        and isinstance(obj.func, _Global)
        and obj.func.name.endswith("numpy_pickle.NumpyArrayWrapper")
    )


def _dtype_itemsize(dtype: Any) -> tuple[int, bool]:
    """(bytes per item, holds Python objects) of a symbolically built numpy dtype."""
    if not isinstance(dtype, _Obj) or not isinstance(dtype.args, tuple) or not dtype.args:
        raise ScanError("joblib array without a readable dtype")
    code = str(dtype.args[0])
    if code.startswith("O"):
        return 0, True
    state = dtype.state if isinstance(dtype.state, tuple) else ()
    claimed = state[5] if len(state) > 5 and isinstance(state[5], int) else -1
    if code[:1] in ("S", "U", "V"):
        # numpy takes a flexible type's size (str, bytes, void) from the state.
        if claimed < 0:
            raise ScanError(f"joblib array of dtype {code!r} without an item size")
        return claimed, False
    fixed = _FIXED_DTYPE.fullmatch(code)
    if not fixed:
        raise ScanError(f"joblib array of unsupported dtype {code!r}")
    size = int(fixed.group(2) or 8)
    if claimed not in (-1, 0, size):
        # numpy ignores the state's size for fixed types; a reader believing it would misread.
        raise ScanError(f"joblib array dtype {code!r} claims {claimed} bytes per item")
    return size, False


def _skip_joblib_array(wrapper: _Obj, stream: IO[bytes], imports: list[str]) -> None:
    """Step over the array joblib writes right after its wrapper's BUILD."""
    state = wrapper.state if isinstance(wrapper.state, dict) else {}
    itemsize, has_objects = _dtype_itemsize(state.get("dtype"))
    if has_objects:
        _Machine(imports).run(stream)  # object arrays are a nested pickle of their own
        return
    if state.get("numpy_array_alignment_bytes"):
        padding = stream.read(1)
        if len(padding) != 1:
            raise ScanError("truncated joblib array padding")
        _skip(stream, padding[0])
    count = 1
    for dim in state.get("shape") or ():
        if not isinstance(dim, int):
            raise ScanError("joblib array with an unreadable shape")
        count *= dim
    _skip(stream, count * itemsize)


def _skip(stream: IO[bytes], size: int) -> None:
    while size > 0:
        chunk = stream.read(min(size, 1 << 20))
        if not chunk:
            raise ScanError("truncated pickle data")
        size -= len(chunk)


_OPCODES = {ord(op.code): op for op in pickletools.opcodes}


class _Skipped:
    """A string or bytes argument too long to keep: only its length is known."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __repr__(self) -> str:
        return f"<{self.size} bytes skipped>"


# Arguments whose length prefix can announce any size: (prefix bytes, signed).
_SIZED_ARGS = {
    "string4": (4, True),
    "bytes4": (4, False),
    "unicodestring4": (4, False),
    "long4": (4, True),
    "bytes8": (8, False),
    "bytearray8": (8, False),
    "unicodestring8": (8, False),
}


def _read_arg(opcode: pickletools.OpcodeInfo, stream: IO[bytes]) -> Any:
    """The opcode's argument, read with bounded memory: long strings are skipped, not held."""
    if opcode.arg is None:
        return None
    sized = _SIZED_ARGS.get(opcode.arg.name)
    if sized is None:
        return opcode.arg.reader(stream)
    width, signed = sized
    prefix = stream.read(width)
    if len(prefix) != width:
        raise ScanError("truncated pickle argument")
    size = int.from_bytes(prefix, "little", signed=signed)
    if size < 0:
        raise ScanError(f"{opcode.name} with a negative length")
    if size > _KEEP:
        _skip(stream, size)
        return _Skipped(size)
    return opcode.arg.reader(io.BytesIO(prefix + stream.read(size)))


class _Bounded(io.RawIOBase):
    """Reads at most `limit` bytes of `raw`; lines end within _MAX_LINE bytes."""

    def __init__(self, raw: IO[bytes], limit: int | None, what: str) -> None:
        self._raw = raw
        self._limit = limit if limit is not None else 1 << 62
        self._left = self._limit
        self._what = what

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()

    def _over(self) -> ScanError:
        limit = self._limit >> 20
        return ScanError(f"{self._what} too large: over {limit} MiB (limit {limit} MiB)")

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = 1 << 20
        if size > self._left:
            data = self._raw.read(self._left + 1)
            if len(data) > self._left:
                raise self._over()
        else:
            data = self._raw.read(size)
        self._left -= len(data)
        return data

    def readinto(self, target: Any) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        line = bytearray()
        while not line.endswith(b"\n"):
            if len(line) >= _MAX_LINE:
                raise ScanError(f"pickle text argument longer than {_MAX_LINE} bytes")
            char = self.read(1)
            if not char:
                break
            line += char
        return bytes(line)


def _open_decompressed(path: Path) -> tuple[IO[bytes], str]:
    """The file as a bounded byte stream, through the compressor joblib may have used."""
    with path.open("rb") as handle:
        head = handle.read(6)
    raw: IO[bytes]
    if head.startswith(b"\x1f\x8b"):
        raw, compression = cast(IO[bytes], gzip.open(path, "rb")), "gzip"  # noqa: SIM115
    elif head.startswith(b"BZh"):
        raw, compression = bz2.open(path, "rb"), "bz2"  # noqa: SIM115
    elif head.startswith(b"\xfd7zXZ") or head.startswith(b"\x5d\x00\x00"):
        raw, compression = lzma.open(path, "rb"), "lzma"  # noqa: SIM115
    elif head[:1] == b"\x78" and head[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
        raw, compression = io.BufferedReader(Inflater(path.open("rb"))), "zlib"
    elif head.startswith(b"\x04\x22\x4d\x18"):
        raise ScanError("lz4-compressed pickle: cannot be scanned without lz4")
    else:
        return cast(IO[bytes], _Bounded(path.open("rb"), None, str(path))), ""
    bounded = _Bounded(raw, MEMBER_LIMIT, f"decompressed {compression} stream")
    return cast(IO[bytes], bounded), compression


def _scan_stream(stream: IO[bytes], imports: list[str]) -> str:
    """Scan consecutive pickles (legacy torch files hold five); returns the file's kind."""
    first = _Machine(imports)
    first.run(stream)
    if first.value != _TORCH_LEGACY_MAGIC:
        return "pickle"
    for _ in range(_TORCH_LEGACY_PICKLES - 1):
        _Machine(imports).run(stream)
    return "torch-legacy"


def _zip_pickles(archive: zipfile.ZipFile) -> list[str]:
    return [n for n in archive.namelist() if n.endswith(".pkl") and not n.endswith(".debug_pkl")]


def _scan_zip(
    archive: zipfile.ZipFile, prefix: str, imports: list[str], members: list[str]
) -> None:
    """Scan the archive's pickles, and those of torch archives nested in it (export samples)."""
    for member in _zip_pickles(archive):
        members.append(prefix + member)
        with open_member(archive, member, prefix) as stream:
            _Machine(imports).run(stream)
    for member in archive.namelist():
        if member.endswith((".pt", ".pth")) and not prefix:
            with open_member(archive, member, prefix) as stream:
                if stream.read(4) != b"PK\x03\x04":
                    continue
            # zipfile reads the nested archive by seeking in the member: streamed, never whole.
            with archive.open(member) as raw, zipfile.ZipFile(raw) as nested:
                _scan_zip(nested, member + "!", imports, members)


def open_member(archive: zipfile.ZipFile, name: str, prefix: str = "") -> IO[bytes]:
    """An archive member as a stream that stops at MEMBER_LIMIT decompressed bytes."""
    info = archive.getinfo(name)
    what = f"archive member {prefix}{name}"
    if info.file_size > MEMBER_LIMIT:
        raise ScanError(
            f"{what} too large: {info.file_size} bytes (limit {MEMBER_LIMIT >> 20} MiB)"
        )
    return cast(IO[bytes], _Bounded(archive.open(info), MEMBER_LIMIT, what))


def read_member(archive: zipfile.ZipFile, name: str, limit: int = 64 << 20) -> bytes:
    """A small archive member (a config, a version record) read whole, up to `limit` bytes."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise ScanError(
            f"archive member {name} too large: {info.file_size} bytes (limit {limit >> 20} MiB)"
        )
    with archive.open(info) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ScanError(f"archive member {name} too large (limit {limit >> 20} MiB)")
    return data


def zip_kind(names: list[str]) -> str:
    """Which torch zip layout a member list shows."""
    if any(n.endswith("/archive_format") for n in names) or any("/models/" in n for n in names):
        return "torch-export"
    if any("/code/" in n for n in names) or any(n.endswith("constants.pkl") for n in names):
        return "torchscript"
    return "torch-zip"


def scan_pickles(path: Path) -> PickleScan:
    """Every global the pickles in `path` (a plain/compressed pickle or a torch zip) import."""
    imports: list[str] = []
    members: list[str] = []
    kind = "pickle"
    error: str | None = None
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                kind = zip_kind(names)
                _scan_zip(archive, "", imports, members)
        else:
            stream, compression = _open_decompressed(path)
            with stream:
                kind = _scan_stream(stream, imports)
            if compression or path.suffix == ".joblib":
                kind = "joblib" if kind == "pickle" else kind
    except ScanError as exc:
        error = str(exc)
    except (ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error, lzma.LZMAError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    torchscript = kind == "torchscript"
    unique = tuple(sorted(set(imports)))
    disallowed = tuple(n for n in unique if not is_allowed(n, torchscript=torchscript))
    return PickleScan(str(path), kind, tuple(members), unique, disallowed, error)
