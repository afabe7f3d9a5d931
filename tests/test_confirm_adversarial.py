"""Artifacts built to run code through confirmation: none of them may, without --trust-artifacts."""

from __future__ import annotations

import pickle
import struct
import time
from pathlib import Path

import pytest

from preplint.confirm import ConfirmOptions, audit_artifact, render_audit_text

np = pytest.importorskip("numpy")
joblib = pytest.importorskip("joblib")


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _text(value: str) -> bytes:
    data = value.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def _touch(canary: Path) -> bytes:
    """Pickle opcodes that run `os.system("touch canary")` and leave its result on the stack."""
    return _global("posix", "system") + _text(f"touch {canary}") + b"\x85R"


def compat_wrapper_artifact(folder: Path, canary: Path) -> Path:
    """joblib's legacy NDArrayWrapper naming a second file, which joblib.load unpickles."""
    from joblib.numpy_pickle_compat import NDArrayWrapper

    (folder / "payload.bin").write_bytes(pickle.dumps(_Reduce(_touch_call(canary)), protocol=2))
    path = folder / "model.joblib"
    path.write_bytes(pickle.dumps(NDArrayWrapper("payload.bin", np.ndarray), protocol=2))
    return path


class _Reduce:
    def __init__(self, call: tuple[object, tuple[object, ...]]) -> None:
        self.call = call

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return self.call


def _touch_call(canary: Path) -> tuple[object, tuple[object, ...]]:
    import os

    return (os.system, (f"touch {canary}",))


def short_itemsize_artifact(folder: Path, canary: Path) -> Path:
    """A float64 joblib array whose pickled dtype state claims 1 byte per item.

    A reader trusting the state skips 16 bytes and finds a harmless `None` pickle inside the
    array data; joblib reads the real 128 bytes and then runs the reduce hidden behind them.
    """
    dtype = (
        _global("numpy", "dtype")
        + _text("f8")
        + b"\x89\x88\x87R"  # ('f8', False, True) -> numpy.dtype(...)
        + b"(K\x03"
        + _text("<")
        + b"NNNK\x01K\x01K\x00tb"  # state (3, '<', None, None, None, 1, 1, 0): elsize 1
    )
    wrapper = (
        _global("joblib.numpy_pickle", "NumpyArrayWrapper")
        + b")\x81}("
        + _text("subclass")
        + _global("numpy", "ndarray")
        + _text("shape")
        + b"K\x10\x85"
        + _text("order")
        + _text("C")
        + _text("dtype")
        + dtype
        + _text("allow_mmap")
        + b"\x89ub"
    )
    data = bytes(16) + b"N." + bytes(128 - 18)
    path = folder / "model.joblib"
    path.write_bytes(b"\x80\x02" + wrapper + data + b"0" + _touch(canary) + b".")
    return path


def dotted_name_artifact(folder: Path, canary: Path, module: str) -> Path:
    """Protocol 4 STACK_GLOBAL of (module, "np.f2py.subprocess.Popen"): a dotted attribute path."""
    body = (
        b"\x8c"
        + bytes([len(module)])
        + module.encode()
        + b"\x8c\x18np.f2py.subprocess.Popen\x93"
        + b"]("  # the argument list
        + _text("touch")
        + _text(str(canary))
        + b"e\x85R"
    )
    path = folder / "model.pkl"
    path.write_bytes(b"\x80\x04" + body + b".")
    return path


def _stand_in_sklearn(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sklearn is not installed here: a package of its name whose `base` imports numpy as np."""
    package = folder / "site" / "sklearn"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text("import numpy as np\n")
    path = str(folder / "site")
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.syspath_prepend(path)


def _audit(path: Path) -> tuple[dict[str, object], str]:
    audit = audit_artifact(path, input_path=None, options=ConfirmOptions(timeout=120))
    return audit, render_audit_text(audit)


def test_legacy_compat_wrapper_does_not_load_the_file_it_names(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    path = compat_wrapper_artifact(tmp_path, canary)
    audit, text = _audit(path)
    assert not canary.exists()
    assert "joblib.numpy_pickle_compat.NDArrayWrapper" in text
    assert "(trusted)" not in text
    assert not (audit["load"] or {}).get("ok")


def test_dtype_state_with_a_wrong_item_size_runs_nothing(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    path = short_itemsize_artifact(tmp_path, canary)
    audit, text = _audit(path)
    assert not canary.exists()
    assert "(trusted)" not in text
    assert not (audit["load"] or {}).get("ok")


@pytest.mark.parametrize("module", ["sklearn.base", "scipy.sparse._base"])
def test_dotted_global_names_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    if module.startswith("sklearn"):
        _stand_in_sklearn(tmp_path, monkeypatch)
    else:
        pytest.importorskip("scipy.sparse")
    canary = tmp_path / "canary"
    path = dotted_name_artifact(tmp_path, canary, module)
    audit, text = _audit(path)
    time.sleep(1)  # Popen does not wait for its child: give a `touch` that ran time to land
    assert not canary.exists()
    assert f"{module}:np.f2py.subprocess.Popen" in text
    assert "(trusted)" not in text
    assert not (audit["load"] or {}).get("ok")


def test_the_artifacts_do_run_code_when_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: each artifact above does create its canary when the user trusts it."""
    _stand_in_sklearn(tmp_path, monkeypatch)
    builders = {
        "compat": lambda folder, canary: compat_wrapper_artifact(folder, canary),
        "itemsize": lambda folder, canary: short_itemsize_artifact(folder, canary),
        "dotted": lambda folder, canary: dotted_name_artifact(folder, canary, "sklearn.base"),
    }
    for name, build in builders.items():
        folder = tmp_path / name
        folder.mkdir()
        path = build(folder, folder / "canary")
        audit = audit_artifact(
            path, input_path=None, options=ConfirmOptions(trust_artifacts=True, timeout=120)
        )
        for _ in range(50):  # Popen returns before its child has run
            if (folder / "canary").exists():
                break
            time.sleep(0.1)
        assert (folder / "canary").exists(), (name, audit)
        assert "(trusted)" in render_audit_text(audit)


def _data() -> dict[str, object]:
    import collections
    import datetime

    return {
        "floats": np.arange(12.0).reshape(3, 4),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)),
        "text": np.array(["a", "bcd"]),
        "objects": np.array([1, "x", None], dtype=object),
        "empty": np.zeros((0, 3)),
        "scalar": np.float32(3.5),
        "nested": [{"k": (1, 2.0, b"b", None, True)}, {1, 2}, frozenset({3})],
        "ordered": collections.OrderedDict(a=1),
        "when": datetime.datetime(2024, 1, 2, 3, 4, 5),
        "complex": complex(1, 2),
    }


def _equal(first: object, second: object) -> bool:
    if isinstance(first, np.ndarray):
        return (
            isinstance(second, np.ndarray)
            and first.dtype == second.dtype
            and first.shape == second.shape
            and bool(np.all(first == second))
        )
    if isinstance(first, dict):
        return (
            isinstance(second, dict)
            and first.keys() == second.keys()
            and all(_equal(first[k], second[k]) for k in first)
        )
    if isinstance(first, list):
        return isinstance(second, list) and all(
            _equal(a, b) for a, b in zip(first, second, strict=True)
        )
    return bool(first == second)


@pytest.mark.parametrize("compress", [0, 3, ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)])
def test_restricted_unpickler_reads_what_joblib_writes(tmp_path: Path, compress: object) -> None:
    from preplint.confirm.safe_pickle import load

    joblib.dump(_data(), tmp_path / "data.joblib", compress=compress)
    loaded, resolved = load(tmp_path / "data.joblib")
    assert _equal(_data(), loaded)
    assert "joblib.numpy_pickle.NumpyArrayWrapper" in resolved


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_restricted_unpickler_reads_plain_pickles(tmp_path: Path, protocol: int) -> None:
    from preplint.confirm.safe_pickle import load

    (tmp_path / "data.pkl").write_bytes(pickle.dumps(_data(), protocol=protocol))
    loaded, _ = load(tmp_path / "data.pkl")
    assert _equal(_data(), loaded)


@pytest.mark.parametrize(
    "stream",
    [
        b"\x80\x04\x8c\x0csklearn.base\x94\x8c\x04Tree\x94\x93)R.",  # a listed-by-prefix class
        b"cbuiltins\ngetattr\n.",
        b"\x80\x04\x8c\x08builtins\x8c\x07set.mro\x93.",  # dotted name under a listed module
        b"\x80\x02cnumpy\ndtype\nX\x02\x00\x00\x00f8\x85R)R.",  # calling an instance
        b"\x80\x02cbuiltins\nset\n}(X\x01\x00\x00\x00aK\x01ub.",  # BUILD on a class
        b"\x80\x02X\x01\x00\x00\x00xQ.",  # a persistent id: a reference outside the pickle
    ],
)
def test_restricted_unpickler_refuses(tmp_path: Path, stream: bytes) -> None:
    from preplint.confirm.safe_pickle import load

    (tmp_path / "bad.pkl").write_bytes(stream)
    with pytest.raises(pickle.UnpicklingError):
        load(tmp_path / "bad.pkl")


def test_restricted_unpickler_allow_list_is_exact() -> None:
    from preplint.confirm.safe_pickle import allowed_pairs

    pairs = allowed_pairs()
    assert ("numpy", "ndarray") in pairs
    assert ("joblib.numpy_pickle_compat", "NDArrayWrapper") not in pairs
    assert all("." not in name and name.isidentifier() for _, name in pairs)
