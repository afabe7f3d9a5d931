"""Generated adversarial pickles: no canary file is ever created without --trust-artifacts.

Each example is written to disk and given to the restricted unpickler the worker loads
untrusted pickles with, and to the in-process scan; a few families also go through the worker
itself. The payloads would create the canary file if anything ran them.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from preplint.confirm import ConfirmOptions, audit_artifact
from preplint.confirm.pickle_scan import is_allowed, scan_pickles
from preplint.confirm.safe_pickle import allowed_pairs, load

np = pytest.importorskip("numpy")

# Examples per run; PREPLINT_CANARY_SCALE=10 runs ten times as many.
SCALE = float(os.environ.get("PREPLINT_CANARY_SCALE", "1"))
OPCODE_EXAMPLES = max(1, int(1500 * SCALE))
JOBLIB_EXAMPLES = max(1, int(800 * SCALE))
WORKER_EXAMPLES = max(1, int(8 * SCALE))

FOLDER = Path(tempfile.mkdtemp(prefix="preplint-canary-"))
CANARY = FOLDER / "canary"
TOUCH = f"touch {CANARY}"

DANGEROUS = [
    ("posix", "system"),
    ("os", "system"),
    ("builtins", "open"),
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("builtins", "getattr"),
    ("io", "open"),
    ("subprocess", "Popen"),
    ("numpy", "f2py.subprocess.Popen"),
    ("numpy", "f2py.subprocess.check_call"),
    ("numpy", "f2py.os.system"),
    ("numpy", "load"),
    ("scipy.sparse._base", "np.f2py.subprocess.Popen"),
    ("collections", "OrderedDict.fromkeys.__self__"),
    ("builtins", "set.__init__.__globals__"),
    ("joblib.numpy_pickle_compat", "NDArrayWrapper"),
    ("pathlib", "Path"),
    ("copyreg", "_reconstructor"),
]
ALLOWED = sorted(allowed_pairs())


@pytest.fixture(scope="module", autouse=True)
def _remove_folder() -> Iterator[None]:
    yield
    shutil.rmtree(FOLDER, ignore_errors=True)


def _text(value: str) -> bytes:
    data = value.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def _short(value: str) -> bytes:
    data = value.encode()
    return b"\x8c" + bytes([len(data)]) + data if len(data) < 256 else _text(value)


strings = st.sampled_from(
    [TOUCH, str(CANARY), "w", "f8", "<", "C", "dtype", "shape", "order", "b", "", "x" * 5000]
    + [m for m, _ in DANGEROUS + ALLOWED]
    + [n for _, n in DANGEROUS + ALLOWED]
)
pairs = st.sampled_from(DANGEROUS + ALLOWED)


@st.composite
def fragment(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 14))
    if kind == 0:
        module, name = draw(pairs)
        return b"c" + module.encode() + b"\n" + name.encode() + b"\n"
    if kind == 1:
        module, name = draw(pairs)
        return _short(module) + _short(name) + b"\x93"  # STACK_GLOBAL
    if kind == 2:
        return _short(draw(strings))
    if kind == 3:
        return b"J" + struct.pack("<i", draw(st.integers(-5, 1 << 16)))
    if kind == 4:
        return draw(st.sampled_from([b"(", b")", b"t", b"\x85", b"\x86", b"\x87", b"]", b"}"]))
    if kind == 5:
        return draw(st.sampled_from([b"R", b"\x81", b"b", b"o", b"\x92"]))  # calls and BUILD
    if kind == 6:
        return draw(st.sampled_from([b"u", b"s", b"e", b"a", b"2", b"0", b"1", b"\x94"]))
    if kind == 7:
        return b"h" + bytes([draw(st.integers(0, 6))])  # BINGET
    if kind == 8:
        return b"q" + bytes([draw(st.integers(0, 6))])  # BINPUT
    if kind == 9:
        return draw(st.binary(max_size=12))  # raw noise
    if kind == 10:
        # INST: class named on the line, arguments from the mark
        module, name = draw(pairs)
        return b"(" + _text(TOUCH) + b"i" + module.encode() + b"\n" + name.encode() + b"\n"
    if kind == 11:
        return b"\x82" + bytes([draw(st.integers(1, 255))])  # EXT1
    if kind == 12:
        return draw(st.sampled_from([b"N", b"\x88", b"\x89", b"G" + struct.pack(">d", 1.5)]))
    if kind == 13:
        inner = draw(st.lists(st.sampled_from([b"N", _text(TOUCH), b"\x85", b"R"]), max_size=6))
        return b"B" + struct.pack("<I", len(b"".join(inner)) + 1) + b"".join(inner) + b"."
    return _touch_payload(draw(st.integers(0, 3)))


def _touch_payload(style: int) -> bytes:
    """Opcodes that create the canary when run, in several spellings."""
    if style == 0:
        return b"cposix\nsystem\n" + _text(TOUCH) + b"\x85R"
    if style == 1:
        return (
            _short("builtins")
            + _short("open")
            + b"\x93"
            + _text(str(CANARY))
            + _short("w")
            + b"\x86R"
        )
    if style == 2:
        return b"(" + _text(TOUCH) + b"iposix\nsystem\n"
    # numpy.f2py imports os: a dotted path from a listed module to os.system (which waits)
    return _short("numpy") + _short("f2py.os.system") + b"\x93" + _text(TOUCH) + b"\x85R"


@st.composite
def opcode_stream(draw: st.DrawFn) -> bytes:
    proto = draw(st.sampled_from([b"", b"\x80\x02", b"\x80\x04", b"\x80\x05"]))
    body = b"".join(draw(st.lists(fragment(), min_size=1, max_size=25)))
    return proto + body + draw(st.sampled_from([b".", b"", b"N."]))


def _dtype(code: str, state: tuple[object, ...]) -> bytes:
    out = b"cnumpy\ndtype\n" + _text(code) + b"\x89\x88\x87R("
    for item in state:
        if item is None:
            out += b"N"
        elif isinstance(item, int):
            out += b"J" + struct.pack("<i", item)
        else:
            out += _text(str(item))
    return out + b"tb"


@st.composite
def joblib_stream(draw: st.DrawFn) -> bytes:
    """A joblib array wrapper whose dtype state, shape and data may lie, with a payload behind."""
    code = draw(
        st.sampled_from(["f8", "f4", "i2", "u1", "b1", "c16", "M8", "U3", "S5", "V4", "O8"])
    )
    claimed = draw(st.sampled_from([-1, 0, 1, 2, 3, 4, 8, 16, 12, 5]))
    state = (3, "<", None, None, None, claimed, 1, 0)
    shape = draw(st.lists(st.integers(0, 6), max_size=3))
    wrapper_name = draw(
        st.sampled_from(
            [
                b"cjoblib.numpy_pickle\nNumpyArrayWrapper\n",
                b"cjoblib.numpy_pickle_compat\nNDArrayWrapper\n",
            ]
        )
    )
    fields = (
        _text("subclass")
        + b"cnumpy\nndarray\n"
        + _text("shape")
        + b"("
        + b"".join(b"J" + struct.pack("<i", d) for d in shape)
        + b"t"
        + _text("order")
        + _text(draw(st.sampled_from(["C", "F"])))
        + _text("dtype")
        + _dtype(code, state)
        + (_text("filename") + _text("payload.bin") if draw(st.booleans()) else b"")
        + (_text("numpy_array_alignment_bytes") + b"K\x08" if draw(st.booleans()) else b"")
    )
    wrapper = wrapper_name + b")\x81}(" + fields + b"ub"
    hide_at = draw(st.integers(0, 64))
    data = (
        bytes(hide_at)
        + _touch_payload(draw(st.integers(0, 3)))
        + b"."
        + bytes(draw(st.integers(0, 64)))
    )
    nested = b"\x80\x05" + _touch_payload(0) + b"." if code == "O8" else b""
    tail = b"0" + _touch_payload(draw(st.integers(0, 3))) + b"."
    return b"\x80\x02" + wrapper + nested + data + tail


def _check(stream: bytes, name: str) -> None:
    CANARY.unlink(missing_ok=True)
    path = FOLDER / name
    path.write_bytes(stream)
    (FOLDER / "payload.bin").write_bytes(pickle.dumps(_Touch(), protocol=2))
    try:
        _, resolved = load(path)
        event("restricted load: built an object")
    except Exception as exc:
        event(f"restricted load: {type(exc).__name__}")
        resolved = None
    assert not CANARY.exists(), stream
    scan = scan_pickles(path)
    assert not CANARY.exists(), stream
    if resolved is not None:
        # What the restricted unpickler resolved is on its exact list; a clean scan saw it too.
        assert all(tuple(n.rsplit(".", 1)) in allowed_pairs() for n in resolved), resolved
        if scan.safe:
            assert set(resolved) <= set(scan.imports), (resolved, scan.imports)
    assert all(is_allowed(n) for n in scan.imports) or not scan.safe


class _Touch:
    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        import os

        return (os.system, (TOUCH,))


@settings(max_examples=OPCODE_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(opcode_stream())
def test_random_opcode_streams_create_no_canary(stream: bytes) -> None:
    _check(stream, "model.pkl")


@settings(max_examples=JOBLIB_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(joblib_stream())
def test_lying_joblib_wrappers_create_no_canary(stream: bytes) -> None:
    _check(stream, "model.joblib")


@settings(max_examples=WORKER_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(joblib_stream(), opcode_stream()))
def test_the_worker_creates_no_canary(stream: bytes) -> None:
    CANARY.unlink(missing_ok=True)
    path = FOLDER / "worker.joblib"
    path.write_bytes(stream)
    (FOLDER / "payload.bin").write_bytes(pickle.dumps(_Touch(), protocol=2))
    audit = audit_artifact(path, input_path=None, options=ConfirmOptions(timeout=60))
    assert not CANARY.exists(), (stream, audit)
    assert "(trusted)" not in str((audit.get("load") or {}).get("loader"))


def test_the_payloads_do_run_in_pickles_own_unpickler() -> None:
    """The control: every payload spelling creates the canary when pickle itself loads it."""
    for style in range(4):
        CANARY.unlink(missing_ok=True)
        with contextlib.suppress(Exception):
            pickle.loads(b"\x80\x04" + _touch_payload(style) + b".")
        assert CANARY.exists(), style
    CANARY.unlink()
