"""The pickle scanner, the planner's bookkeeping, and the worker's limits (timeout, memory, stdout)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from preplint.confirm import ConfirmOptions, audit_artifact, confirm_diagnostics, no_artifact_reason
from preplint.confirm.pickle_scan import is_allowed, scan_pickles
from preplint.diagnostics import Confirmation, Diagnostic, Severity


class OpenCanary:
    """Unpickling this creates `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


class ShellCanary:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.path}",))


class Call:
    """Unpickling this calls `func(*args)`: a payload for the limit tests."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.func, self.args)


def diagnostic(code: str, artifact: str | None, folder: Path) -> Diagnostic:
    return Diagnostic(
        code=code,
        name="test",
        severity=Severity.WARNING,
        message=code,
        path=str(folder / "predict.py"),
        line=3,
        column=1,
        end_line=3,
        end_column=9,
        artifact=artifact,
    )


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_reduce_payloads_are_listed_in_every_protocol(tmp_path: Path, protocol: int) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(
        pickle.dumps(
            {"weights": [1.0, 2.0], "hook": ShellCanary(tmp_path / "ran")}, protocol=protocol
        )
    )
    scan = scan_pickles(path)
    assert scan.error is None
    assert scan.disallowed == (f"{os.system.__module__}.system",)
    assert not scan.safe


def test_stack_global_resolves_strings_from_the_memo(tmp_path: Path) -> None:
    # builtins.list, then STACK_GLOBAL with the module string fetched back from the memo: builtins.eval
    stream = (
        b"\x80\x04\x8c\x08builtins\x94\x8c\x04list\x94\x93\x940h\x00\x8c\x04eval\x94\x93\x940N."
    )
    (tmp_path / "memo.pkl").write_bytes(stream)
    scan = scan_pickles(tmp_path / "memo.pkl")
    assert scan.imports == ("builtins.eval", "builtins.list")
    assert scan.disallowed == ("builtins.eval",)


def test_inst_opcode(tmp_path: Path) -> None:
    (tmp_path / "inst.pkl").write_bytes(b"(S'echo hi'\nios\nsystem\n.")
    assert scan_pickles(tmp_path / "inst.pkl").disallowed == ("os.system",)


def test_truncated_pickle_is_not_safe(tmp_path: Path) -> None:
    data = pickle.dumps({"a": list(range(50))}, protocol=4)
    (tmp_path / "cut.pkl").write_bytes(data[: len(data) // 2])
    scan = scan_pickles(tmp_path / "cut.pkl")
    assert scan.error is not None
    assert not scan.safe


def test_allow_list() -> None:
    for name in (
        "numpy.core.multiarray._reconstruct",
        "numpy._core.multiarray._reconstruct",
        "numpy.dtype",
        "numpy.float64",
        "numpy.dtypes.Float64DType",
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch.FloatStorage",
        "torch.bfloat16",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.pipeline.Pipeline",
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "builtins.set",
        "_codecs.encode",
    ):
        assert is_allowed(name), name
    for name in (
        "builtins.eval",
        "builtins.exec",
        "builtins.getattr",
        "builtins.open",
        "io.open",
        "posix.system",
        "subprocess.Popen",
        "numpy.testing._private.utils.runstring",
        "numpy.load",
        "sklearn.utils._testing.TempMemmap",
        "sklearn.utils.deprecated",
        "torch.load",
        "__torch__.Net",
        "__main__.Net",
    ):
        assert not is_allowed(name), name
    assert is_allowed("__torch__.Net", torchscript=True)


@pytest.mark.parametrize("compress", [0, 3, ("gzip", 3), ("bz2", 3), ("xz", 3)])
def test_joblib_arrays_are_skipped_not_misread(tmp_path: Path, compress: Any) -> None:
    joblib = pytest.importorskip("joblib")
    np = pytest.importorskip("numpy")
    data = {
        "floats": np.arange(12.0).reshape(3, 4),
        "ints": np.arange(7, dtype=np.int16),
        "text": np.array(["a", "bcd"]),
        "objects": np.array([1, "x", None], dtype=object),
        "scalar": np.float32(3.5),
    }
    joblib.dump(data, tmp_path / "scaler.joblib", compress=compress)
    scan = scan_pickles(tmp_path / "scaler.joblib")
    assert scan.error is None
    assert scan.kind == "joblib"
    assert "joblib.numpy_pickle.NumpyArrayWrapper" in scan.imports
    assert scan.safe, scan.disallowed


def test_joblib_payload_after_arrays_is_found(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib")
    np = pytest.importorskip("numpy")
    joblib.dump([np.ones((64, 64)), OpenCanary(tmp_path / "ran")], tmp_path / "model.joblib")
    assert scan_pickles(tmp_path / "model.joblib").disallowed == ("io.open",)


def test_pickle_canary_is_scanned_and_never_run(tmp_path: Path) -> None:
    canary = tmp_path / "canary.txt"
    payload = pickle.dumps({"clf": "fitted", "x": OpenCanary(canary)})
    pickle.loads(payload)  # the control: loading it does create the file
    assert canary.exists()
    canary.unlink()
    (tmp_path / "model.pkl").write_bytes(payload)
    (safe001,) = confirm_diagnostics(
        [diagnostic("SAFE001", "model.pkl", tmp_path)], ConfirmOptions()
    )
    assert safe001.confirmation is not None
    assert safe001.confirmation.status == "confirmed"
    assert "outside the allow-list: io.open" in safe001.confirmation.evidence
    audit = audit_artifact(tmp_path / "model.pkl", input_path=None, options=ConfirmOptions())
    assert audit["pickle"]["disallowed"] == ["io.open"]
    assert "--trust-artifacts" in audit["failure"]
    assert not canary.exists()


def test_planner_bookkeeping(tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"w": [1.0]}))
    done = Confirmation("refuted", "pickle-scan", "already", "x")
    diagnostics = [
        diagnostic("SEED001", "model.pkl", tmp_path),  # no probe for this rule
        diagnostic("SAFE001", None, tmp_path),  # no artifact path
        diagnostic("SAFE001", "absent.pkl", tmp_path),  # path that does not exist
        diagnostic("SAFE001", "model.pkl", tmp_path),
    ]
    result = confirm_diagnostics(diagnostics, ConfirmOptions())
    assert [d.confirmation is None for d in result] == [True, True, True, False]
    assert result[3].confirmation == Confirmation(
        "refuted",
        "pickle-scan",
        result[3].confirmation.evidence if result[3].confirmation else "",
        "model.pkl",
    )
    assert no_artifact_reason(result[0]) is None
    assert no_artifact_reason(result[1]) == "no artifact path known for this finding"
    reason = no_artifact_reason(result[2])
    assert reason is not None and reason.startswith("no artifact found for 'absent.pkl'")
    assert no_artifact_reason(result[3]) is None
    assert no_artifact_reason(diagnostics[3].with_confirmation(done)) is None


def test_confirm_package_imports_no_framework() -> None:
    code = (
        "import sys, preplint.confirm, preplint.confirm.planner, preplint.confirm.pickle_scan;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('numpy', 'torch', 'tensorflow', 'keras', 'h5py', 'joblib')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_a_hung_load_ends_inconclusive_within_the_timeout(tmp_path: Path) -> None:
    """A genuinely slow artifact: unpickling it (only allowed when trusted) sleeps for minutes."""
    pytest.importorskip("torch")
    (tmp_path / "slow.pkl").write_bytes(pickle.dumps(Call(time.sleep, 600)))
    started = time.monotonic()
    audit = audit_artifact(
        tmp_path / "slow.pkl",
        input_path=None,
        options=ConfirmOptions(trust_artifacts=True, timeout=4),
    )
    assert time.monotonic() - started < 30
    assert audit["failure"] == "timed out after 4 s"
    assert audit["pickle"]["disallowed"] == ["time.sleep"]


@pytest.mark.slow
def test_running_out_of_memory_is_reported_not_raised(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    (tmp_path / "huge.pkl").write_bytes(
        pickle.dumps(Call(bytes, 3 * 1024**3))
    )  # 3 GiB of zeros on load
    options = ConfirmOptions(trust_artifacts=True, timeout=60, memory_limit_mb=1024)
    audit = audit_artifact(tmp_path / "huge.pkl", input_path=None, options=options)
    assert audit["failure"].startswith("out of memory (limit 1024 MiB)")


@pytest.mark.slow
def test_worker_stdout_stays_json_when_the_artifact_prints(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    (tmp_path / "noisy.pkl").write_bytes(
        pickle.dumps([Call(print, "noise on stdout"), Call(os.write, 1, b"raw fd 1\n")])
    )
    audit = audit_artifact(
        tmp_path / "noisy.pkl", input_path=None, options=ConfirmOptions(trust_artifacts=True)
    )
    assert audit["failure"] is None
    assert audit["load"]["ok"] is True
    assert audit["load"]["object"] == "builtins.list"


@pytest.mark.slow
def test_a_crashing_worker_is_reported_not_raised(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    (tmp_path / "crash.pkl").write_bytes(pickle.dumps(Call(os.abort)))
    audit = audit_artifact(
        tmp_path / "crash.pkl", input_path=None, options=ConfirmOptions(trust_artifacts=True)
    )
    assert audit["failure"].startswith("worker killed by signal SIGABRT")


@pytest.mark.parametrize("data", [b"]\x00\x00" + bytes(range(40)), b"\xfd7zXZ\x00garbage"])
def test_stream_that_looks_lzma_but_is_not_is_reported_not_raised(
    tmp_path: Path, data: bytes
) -> None:
    # Found by the opcode fuzz: `]\x00\x00` (an empty list, then zeros) starts like a legacy
    # lzma stream, and the decoder's LZMAError escaped the scanner.
    path = tmp_path / "model.pkl"
    path.write_bytes(data)
    scan = scan_pickles(path)
    assert scan.error is not None and "LZMAError" in scan.error
