"""Loads pickle and joblib files through an unpickler that resolves only an exact list of globals.

This is what the worker loads untrusted pickles with: the same reader decides what every byte
means and builds the objects, so no separate scan can disagree with it. `find_class` admits
exact `(module, name)` pairs (no prefixes, no dotted attribute paths); calls, `__new__` and
BUILD are only made on the objects it handed out. joblib arrays are rebuilt here from the
bytes after their wrapper (`np.frombuffer` of exactly `count * dtype.itemsize` bytes); joblib's
legacy wrappers, which name other files, are refused. Worker-only: imports numpy.
"""

from __future__ import annotations

import bz2
import gzip
import importlib
import io
import lzma
import pickle
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

LOADER = "restricted unpickler (exact allow-list of globals)"

# (module, name) -> (module to import, attribute): Python 2 spellings resolve to the same object.
_PAIRS: dict[tuple[str, str], tuple[str, str]] = {}


def _allow(module: str, *names: str, resolve_in: str | None = None) -> None:
    for name in names:
        _PAIRS[(module, name)] = (resolve_in or module, name)


_BUILTINS = (
    "set",
    "frozenset",
    "dict",
    "list",
    "tuple",
    "slice",
    "range",
    "complex",
    "bytearray",
    "bytes",
    "str",
    "int",
    "float",
    "bool",
    "object",
)
_allow("builtins", *_BUILTINS)
_allow("__builtin__", *_BUILTINS, resolve_in="builtins")  # protocols 0-2 write this spelling
_allow("_codecs", "encode")  # protocol 2 writes bytes through it
_allow("collections", "OrderedDict", "defaultdict", "Counter", "deque")
_allow("datetime", "datetime", "date", "time", "timedelta", "timezone")
_allow("decimal", "Decimal")
_allow("fractions", "Fraction")
_allow("numpy", "ndarray", "dtype")
_allow("numpy.core.multiarray", "_reconstruct", "scalar", resolve_in="numpy._core.multiarray")
_allow("numpy._core.multiarray", "_reconstruct", "scalar")
_allow("numpy._core.numeric", "_frombuffer")  # protocol 5 arrays
_allow("numpy.core.numeric", "_frombuffer", resolve_in="numpy._core.numeric")
_NUMPY_SCALARS = (
    "bool_",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "longdouble",
    "complex64",
    "complex128",
    "clongdouble",
    "str_",
    "bytes_",
    "datetime64",
    "timedelta64",
)
_allow("numpy", *_NUMPY_SCALARS)
_allow(
    "numpy.dtypes",
    *(
        f"{kind}DType"
        for kind in (
            "Bool",
            "Int8",
            "Int16",
            "Int32",
            "Int64",
            "UInt8",
            "UInt16",
            "UInt32",
            "UInt64",
            "Float16",
            "Float32",
            "Float64",
            "LongDouble",
            "Complex64",
            "Complex128",
            "CLongDouble",
            "Str",
            "Bytes",
            "Void",
            "Object",
            "DateTime64",
            "TimeDelta64",
        )
    ),
)
_JOBLIB_WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")
_COPYREG_RECONSTRUCTOR = {("copyreg", "_reconstructor"), ("copy_reg", "_reconstructor")}

# The most bytes one joblib array may claim; a larger count is a corrupt or hostile file.
_MAX_ARRAY_BYTES = 1 << 40


def allowed_pairs() -> frozenset[tuple[str, str]]:
    """Every (module, name) the restricted unpickler resolves."""
    return frozenset(_PAIRS) | {_JOBLIB_WRAPPER} | _COPYREG_RECONSTRUCTOR


def _dtype_from_state(np: Any, shell: Any, state: Any) -> Any:
    """The dtype whose pickled state is `state`, built by numpy from a spec; refuses any other."""
    refused = pickle.UnpicklingError("a numpy dtype state numpy itself would not write")
    if not isinstance(state, tuple) or len(state) not in (8, 9):
        raise refused
    order, sub, names, fields, elsize = state[1:6]
    try:
        if sub is not None:
            base, shape = sub
            if not isinstance(base, np.dtype):
                raise refused
            built = np.dtype((base, shape))
        elif names is not None:
            if not isinstance(names, tuple) or not isinstance(fields, dict):
                raise refused
            spec = [fields[name] for name in names]
            if not all(isinstance(f, tuple) and len(f) == 2 for f in spec):
                raise refused
            built = np.dtype(
                {
                    "names": list(names),
                    "formats": [f[0] for f in spec],
                    "offsets": [f[1] for f in spec],
                    "itemsize": elsize,
                }
            )
        elif shell.kind in "SUV" and isinstance(elsize, int):
            built = np.dtype(f"{shell.kind}{elsize // 4 if shell.kind == 'U' else elsize}")
        elif shell.kind in "mM" and len(state) == 9:
            unit, count = state[8][1][:2]
            unit = unit.decode() if isinstance(unit, bytes) else str(unit)
            built = np.dtype(
                f"{shell.char}8" if unit == "generic" else f"{shell.char}8[{count}{unit}]"
            )
        else:
            built = np.dtype(shell.str)
        if order in ("<", ">"):
            built = built.newbyteorder(order)
        same = built.__reduce__()[2] == state
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        raise refused from None
    if not same:
        raise refused
    return built


class RefusedGlobal(pickle.UnpicklingError):
    """The pickle names a global outside the exact allow-list."""

    def __init__(self, module: str, name: str) -> None:
        super().__init__(f"{module}:{name}" if "." in name else f"{module}.{name}")
        self.module, self.name = module, name

    @property
    def qualified(self) -> str:
        return str(self)


class _ArrayWrapper:
    """Stands in for joblib's NumpyArrayWrapper: its BUILD state says how to read the array."""


def _reconstructor(cls: Any, base: Any, state: Any) -> Any:
    """copyreg._reconstructor, for the one class protocols 0 and 1 build through it here."""
    if cls is not _ArrayWrapper or base is not object or state is not None:
        raise pickle.UnpicklingError("copyreg._reconstructor of a class outside the allow-list")
    return object.__new__(_ArrayWrapper)


# pickle's pure-Python unpickler: its opcode handlers can be replaced one by one.
_PurePythonUnpickler: Any = pickle._Unpickler


class RestrictedUnpickler(_PurePythonUnpickler):
    """pickle's own opcode reader with every code-running step checked against the allow-list."""

    dispatch: dict[int, Callable[[Any], None]] = dict(_PurePythonUnpickler.dispatch)

    def __init__(self, stream: IO[bytes], resolved: list[str] | None = None) -> None:
        super().__init__(stream, fix_imports=False, encoding="latin1")
        self.stream = stream
        self.resolved = resolved if resolved is not None else []
        self._handed_out: dict[int, Any] = {}

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        if key == _JOBLIB_WRAPPER:
            obj: Any = _ArrayWrapper
        elif key in _COPYREG_RECONSTRUCTOR:
            obj = _reconstructor
        elif key in _PAIRS:
            where, attribute = _PAIRS[key]
            obj = getattr(importlib.import_module(where), attribute)
        else:
            raise RefusedGlobal(module, name)
        self.resolved.append(f"{module}.{name}")
        self._handed_out[id(obj)] = obj
        return obj

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids (references outside the pickle) are refused")

    def _callable(self, obj: Any) -> Any:
        if self._handed_out.get(id(obj)) is not obj:
            raise pickle.UnpicklingError(
                f"call of a {type(obj).__name__} that is not an allow-listed global"
            )
        return obj

    def load_reduce(self) -> None:
        args = self.stack.pop()
        func = self._callable(self.stack[-1])
        if not isinstance(args, tuple):
            raise pickle.UnpicklingError("REDUCE arguments are not a tuple")
        self.stack[-1] = func(*args)

    def load_newobj(self) -> None:
        args = self.stack.pop()
        cls = self._callable(self.stack.pop())
        if not isinstance(cls, type) or not isinstance(args, tuple):
            raise pickle.UnpicklingError("NEWOBJ of something that is not a class")
        self.append(cls.__new__(cls, *args))

    def load_newobj_ex(self) -> None:
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self._callable(self.stack.pop())
        if not isinstance(cls, type) or not isinstance(args, tuple) or not isinstance(kwargs, dict):
            raise pickle.UnpicklingError("NEWOBJ_EX of something that is not a class")
        self.append(cls.__new__(cls, *args, **kwargs))

    def load_obj(self) -> None:
        args = self.pop_mark()
        cls = self._callable(args.pop(0))
        self.append(cls(*args))

    def load_inst(self) -> None:
        module = self.readline()[:-1].decode("ascii")
        name = self.readline()[:-1].decode("ascii")
        cls = self.find_class(module, name)
        self.append(cls(*self.pop_mark()))

    def load_build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        if isinstance(inst, _ArrayWrapper):
            if not isinstance(state, dict):
                raise pickle.UnpicklingError("joblib array wrapper without a state dict")
            self.stack[-1] = self._read_array(state)
            return
        import numpy as np

        if isinstance(inst, np.dtype):
            # numpy's dtype __setstate__ trusts its input (a lying state can crash it): build
            # the dtype the state describes from a spec instead, and accept it only if numpy
            # would write exactly this state for it.
            built = _dtype_from_state(np, inst, state)
            self.stack[-1] = built
            for key, value in list(self.memo.items()):
                if value is inst:
                    self.memo[key] = built
            return
        if type(inst) is np.ndarray:
            inst.__setstate__(state)  # numpy checks the data's size against shape and dtype
            return
        raise pickle.UnpicklingError(f"BUILD of a {type(inst).__name__} is refused")

    def _read_array(self, state: dict[Any, Any]) -> Any:
        """The array joblib wrote right after its wrapper, read with this unpickler's stream."""
        import numpy as np

        dtype, shape, order = state.get("dtype"), state.get("shape"), state.get("order", "C")
        if not isinstance(dtype, np.dtype):
            raise pickle.UnpicklingError("joblib array without a dtype")
        if not isinstance(shape, tuple) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
        ):
            raise pickle.UnpicklingError("joblib array with an unreadable shape")
        if order not in ("C", "F"):
            raise pickle.UnpicklingError("joblib array with an unknown order")
        if dtype.hasobject:
            # Object arrays are a nested pickle of their own; it goes through this unpickler too.
            nested = RestrictedUnpickler(self.stream, self.resolved)
            nested._handed_out = self._handed_out
            array = nested.load()
            if type(array) is not np.ndarray or array.shape != shape:
                raise pickle.UnpicklingError("joblib object array does not match its wrapper")
            return array
        count = 1
        for dim in shape:
            count *= dim
        size = count * dtype.itemsize
        if size > _MAX_ARRAY_BYTES:
            raise pickle.UnpicklingError(f"joblib array claims {size} bytes")
        if state.get("numpy_array_alignment_bytes") is not None:
            padding = self.read(1)
            if len(padding) != 1 or len(self.read(padding[0])) != padding[0]:
                raise pickle.UnpicklingError("truncated joblib array padding")
        data = self.read(size)
        if len(data) != size:
            raise pickle.UnpicklingError("truncated joblib array data")
        if not size:
            return np.empty(shape, dtype=dtype, order=order)
        return np.frombuffer(data, dtype=dtype, count=count).reshape(shape, order=order)

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
    dispatch[pickle.OBJ[0]] = load_obj
    dispatch[pickle.INST[0]] = load_inst
    dispatch[pickle.BUILD[0]] = load_build


def open_stream(path: Path) -> IO[bytes]:
    """The file as a byte stream, through the compressor joblib may have used."""
    with path.open("rb") as handle:
        head = handle.read(6)
    if head.startswith(b"\x1f\x8b"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    if head.startswith(b"BZh"):
        return bz2.open(path, "rb")
    if head.startswith(b"\xfd7zXZ") or head.startswith(b"\x5d\x00\x00"):
        return lzma.open(path, "rb")
    if head[:1] == b"\x78" and head[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
        return io.BufferedReader(Inflater(path.open("rb")))
    if head.startswith(b"\x04\x22\x4d\x18"):
        raise pickle.UnpicklingError("lz4-compressed pickle: not read without --trust-artifacts")
    if head.startswith(b"ZF"):
        raise pickle.UnpicklingError("joblib's legacy compressed format is refused")
    return path.open("rb")


class Inflater(io.RawIOBase):
    """A read-only stream over zlib data (joblib's default compressor)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._inflate = zlib.decompressobj()
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer and not self._inflate.eof:
            data = self._inflate.unconsumed_tail or self._raw.read(1 << 16)
            if not data:
                self._buffer = self._inflate.flush()
                break
            self._buffer = self._inflate.decompress(data, 1 << 20)  # bounded output per step
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Chunked(io.RawIOBase):
    """Reads in steps of 16 MiB: a length a pickle claims costs memory only as data arrives."""

    _STEP = 16 << 20

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._STEP
        if size <= self._STEP:
            return self._raw.read(size)
        data = bytearray()
        while len(data) < size:
            chunk = self._raw.read(min(self._STEP, size - len(data)))
            if not chunk:
                break
            data += chunk
        return bytes(data)

    def readinto(self, target: Any) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        return self._raw.readline(self._STEP if size is None or size < 0 else size)

    def close(self) -> None:
        self._raw.close()
        super().close()


def load(path: Path) -> tuple[Any, list[str]]:
    """The object in a pickle or joblib file, and the globals it resolved; raises on refusal."""
    resolved: list[str] = []
    with _Chunked(open_stream(path)) as stream:
        obj = RestrictedUnpickler(cast(IO[bytes], stream), resolved).load()
    return obj, resolved
