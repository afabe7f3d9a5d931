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
        # joblib's array wrappers (arrays follow them as raw bytes)
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "joblib.numpy_pickle_compat.NDArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
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

_MAX_DECOMPRESSED = 4 << 30  # a decompression bomb stops the scan, it does not fill memory


def is_allowed(name: str, *, torchscript: bool = False) -> bool:
    """Whether importing `module.name` while unpickling only builds data."""
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


class ScanError(Exception):
    """The stream is not a pickle we can walk to its end."""


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
            stopped = False
            for opcode, arg, _ in pickletools.genops(stream):
                self.step(opcode, arg)
                if opcode.name == "STOP":
                    stopped = True
                    break
                if opcode.name == "BUILD" and _is_joblib_wrapper(self.stack[-1]):
                    # genops restarts after the skip; it reads opcodes lazily from the stream.
                    _skip_joblib_array(self.stack[-1], stream, self.imports)
                    break
            else:
                raise ScanError("pickle ends without STOP")
            if stopped:
                return

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
        if isinstance(module, str) and isinstance(name, str):
            full = f"{module}.{name}"
        else:
            full = "<unresolved STACK_GLOBAL>"
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
            if isinstance(target, dict):
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
    if len(state) > 5 and isinstance(state[5], int) and state[5] > 0:
        return state[5], False  # flexible types (str, bytes, void) carry their size here
    digits = re.search(r"\d+", code)
    if not digits:
        raise ScanError(f"joblib array of unsupported dtype {code!r}")
    size = int(digits.group())
    return (size * 4 if code.startswith("U") else size), False


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
            raise ScanError("truncated joblib array data")
        size -= len(chunk)


class _ZlibReader(io.RawIOBase):
    """A read-only stream over zlib data (joblib's default compressor)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._inflate = zlib.decompressobj()
        self._buffer = b""
        self._total = 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._total

    def readinto(self, target: Any) -> int:
        while not self._buffer and not self._inflate.eof:
            data = self._raw.read(1 << 16)
            self._buffer = self._inflate.decompress(data) if data else self._inflate.flush()
            if not data and not self._buffer:
                break
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        self._total += size
        if self._total > _MAX_DECOMPRESSED:
            raise ScanError("decompressed data exceeds 4 GiB")
        return size


def _open_decompressed(path: Path) -> tuple[IO[bytes], str]:
    """The file as a byte stream, through the compressor joblib may have used."""
    with path.open("rb") as handle:
        head = handle.read(6)
    if head.startswith(b"\x1f\x8b"):
        return cast(IO[bytes], gzip.open(path, "rb")), "gzip"
    if head.startswith(b"BZh"):
        return bz2.open(path, "rb"), "bz2"
    if head.startswith(b"\xfd7zXZ") or head.startswith(b"\x5d\x00\x00"):
        return lzma.open(path, "rb"), "lzma"
    if head[:1] == b"\x78" and head[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
        return io.BufferedReader(_ZlibReader(path.open("rb"))), "zlib"
    if head.startswith(b"\x04\x22\x4d\x18"):
        raise ScanError("lz4-compressed pickle: cannot be scanned without lz4")
    return path.open("rb"), ""


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
        with archive.open(member) as stream:
            _Machine(imports).run(stream)
    for member in archive.namelist():
        if member.endswith((".pt", ".pth")) and not prefix:
            with archive.open(member) as stream:
                data = stream.read()
            if data.startswith(b"PK\x03\x04"):
                with zipfile.ZipFile(io.BytesIO(data)) as nested:
                    _scan_zip(nested, member + "!", imports, members)


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
    except (ScanError, ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error) as exc:
        error = f"{type(exc).__name__}: {exc}"
    torchscript = kind == "torchscript"
    unique = tuple(sorted(set(imports)))
    disallowed = tuple(n for n in unique if not is_allowed(n, torchscript=torchscript))
    return PickleScan(str(path), kind, tuple(members), unique, disallowed, error)
