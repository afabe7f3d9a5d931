"""Archive members read with size caps in bounded memory, and limits that limit nothing refused."""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from preplint.confirm import ConfirmOptions
from preplint.confirm.limits import LimitError
from preplint.confirm.runner import run_worker
from preplint.errors import UsageError

_BLOCK = 16 << 20  # zeros per repeated deflate block


def _deflate(data: bytes) -> bytes:
    """Raw deflate of `data`, ending byte-aligned with no back-references: segments concatenate."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def write_zip(path: Path, members: list[tuple[str, bytes, int, bytes]]) -> None:
    """A zip whose members are `head + zero_blocks * 16 MiB of zeros + tail`, written streaming.

    One 16 MiB block of zeros deflates to ~16 KB and is written again and again, so a member of
    several GiB costs a few MB on disk and never exists in memory. Members over 1 GiB keep a CRC
    of 0 (nothing may read them to their end); the others get their real CRC.
    """
    block = _deflate(bytes(_BLOCK))
    central = b""
    with path.open("wb") as out:
        for name, head, zero_blocks, tail in members:
            offset = out.tell()
            size = len(head) + zero_blocks * _BLOCK + len(tail)
            packed = _deflate(head) + block * zero_blocks + _deflate(tail)
            packed += zlib.compressobj(9, zlib.DEFLATED, -15).flush()
            encoded = name.encode()
            crc = 0
            if zero_blocks * _BLOCK <= 1 << 30:
                crc = zlib.crc32(head)
                for _ in range(zero_blocks):
                    crc = zlib.crc32(bytes(_BLOCK), crc)
                crc = zlib.crc32(tail, crc)
            header = (20, 0, 8, 0, 0x21, crc, len(packed), size, len(encoded))
            out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *header, 0) + encoded)
            out.write(packed)
            central += (
                struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *header, 0, 0, 0, 0, 0, offset)
                + encoded
            )
        start = out.tell()
        out.write(central)
        out.write(
            struct.pack(
                "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), start, 0
            )
        )


def _binbytes8(size: int) -> bytes:
    return b"\x80\x04\x8e" + size.to_bytes(8, "little")


def _run_safe001(artifact: Path) -> dict[str, object]:
    """Confirm a SAFE001 finding on `artifact` in a fresh process; its verdict and peak RSS."""
    if not Path("/proc/self/status").exists():
        pytest.skip("peak RSS is read from /proc")
    code = f"""
import json
from pathlib import Path
from preplint.confirm import ConfirmOptions, confirm_diagnostics
from preplint.diagnostics import Diagnostic, Severity
artifact = Path({str(artifact)!r})
finding = Diagnostic(code="SAFE001", name="t", severity=Severity.WARNING, message="m",
    path=str(artifact.parent / "predict.py"), line=1, column=1, end_line=1, end_column=2,
    artifact=artifact.name)
(done,) = confirm_diagnostics([finding], ConfirmOptions())
# Peak RSS since exec. getrusage's ru_maxrss would also count the parent's RSS at fork time.
status = Path("/proc/self/status").read_text()
rss = int(status.split("VmHWM:")[1].split()[0]) // 1024
print(json.dumps({{"status": done.confirmation.status, "evidence": done.confirmation.evidence,
    "rss_mb": rss}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bombs")
    # 3 GiB of bytes inside the one pickle of a torch zip.
    write_zip(
        folder / "member.pt",
        [("archive/data.pkl", _binbytes8(3 << 30), 192, b"."), ("archive/version", b"3\n", 0, b"")],
    )
    # A 3 GiB torch archive nested in a torch.export archive.
    write_zip(
        folder / "nested.pt2",
        [
            ("archive/archive_format", b"pt2", 0, b""),
            ("archive/data.pkl", b"\x80\x04N.", 0, b""),
            ("archive/sample.pt", b"PK\x03\x04", 192, b""),
        ],
    )
    # Under the member limit: 512 MiB of bytes a reader must stream past, not hold.
    write_zip(
        folder / "streamed.pt",
        [
            ("archive/data.pkl", _binbytes8(512 << 20), 32, b"."),
            ("archive/version", b"3\n", 0, b""),
        ],
    )
    return folder


@pytest.mark.parametrize("name", ["member.pt", "nested.pt2"])
def test_a_multi_gib_member_is_inconclusive_in_bounded_memory(bombs: Path, name: str) -> None:
    assert (bombs / name).stat().st_size < 8 << 20
    result = _run_safe001(bombs / name)
    assert result["status"] == "inconclusive"
    assert "too large" in str(result["evidence"])
    assert "(limit 1024 MiB)" in str(result["evidence"])
    assert int(str(result["rss_mb"])) < 300, result


def test_a_large_member_under_the_limit_is_streamed_not_held(bombs: Path) -> None:
    result = _run_safe001(bombs / "streamed.pt")
    assert result["status"] == "refuted", result
    assert int(str(result["rss_mb"])) < 300, result


def test_the_audit_names_the_member_limit(bombs: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "preplint", "confirm", str(bombs / "member.pt")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "inconclusive: not loaded: the pickle scan stopped: archive member" in out.stdout
    assert "too large" in out.stdout and "(limit 1024 MiB)" in out.stdout


@pytest.mark.parametrize("timeout", [math.nan, math.inf, -math.inf, 0, -1.0, "60", True])
def test_timeouts_that_limit_nothing_are_usage_errors(timeout: object) -> None:
    with pytest.raises(LimitError, match="timeout") as raised:
        ConfirmOptions(timeout=timeout)  # type: ignore[arg-type]
    assert isinstance(raised.value, UsageError) and isinstance(raised.value, ValueError)
    with pytest.raises(LimitError):
        run_worker({}, timeout=timeout, memory_limit_mb=4096)  # type: ignore[arg-type]


@pytest.mark.parametrize("memory", [math.nan, math.inf, 0, -5, 10.5, None, False])
def test_memory_limits_that_limit_nothing_are_usage_errors(memory: object) -> None:
    with pytest.raises(LimitError, match="memory limit"):
        ConfirmOptions(memory_limit_mb=memory)  # type: ignore[arg-type]
    with pytest.raises(LimitError):
        run_worker({}, timeout=5, memory_limit_mb=memory)  # type: ignore[arg-type]


def test_sound_limits_are_accepted() -> None:
    options = ConfirmOptions(timeout=0.5, memory_limit_mb=64)
    assert (options.timeout, options.memory_limit_mb) == (0.5, 64)
    assert ConfirmOptions(timeout=7).timeout == 7


@pytest.mark.slow
def test_a_probe_that_runs_out_of_memory_is_inconclusive_with_the_limit(tmp_path: Path) -> None:
    """A real TorchScript model whose forward pass allocates 8 GiB, under a 1024 MiB limit."""
    torch = pytest.importorskip("torch")
    from preplint.confirm import audit_artifact, confirm_diagnostics, render_audit_text
    from preplint.diagnostics import Diagnostic, Severity

    class Greedy(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = torch.nn.Linear(4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            scratch = torch.ones(x.shape[0], 1 << 28, dtype=x.dtype)
            return self.fc(x) + scratch.sum()

    torch.jit.save(torch.jit.script(Greedy()), str(tmp_path / "greedy.pt"))
    options = ConfirmOptions(timeout=120, memory_limit_mb=1024)
    audit = audit_artifact(tmp_path / "greedy.pt", input_path=None, options=options)
    text = render_audit_text(audit)
    assert "dtype sensitivity: unknown: inconclusive: the probe ran out of memory" in text
    assert "mode sensitivity: unknown: inconclusive: the probe ran out of memory" in text
    assert "(limit 1024 MiB)" in text
    assert audit["dtype_sensitivity"]["answer"] is None
    findings = [
        Diagnostic(
            code=code,
            name="t",
            severity=Severity.WARNING,
            message="m",
            path=str(tmp_path / "predict.py"),
            line=1,
            column=1,
            end_line=1,
            end_column=2,
            artifact="greedy.pt",
        )
        for code in ("DTYPE002", "MODE001")
    ]
    for done in confirm_diagnostics(findings, options):
        assert done.confirmation is not None
        assert done.confirmation.status == "inconclusive", done.confirmation
        assert "limit 1024 MiB" in done.confirmation.evidence


def test_keras_members_past_the_memory_limit_are_not_loaded(tmp_path: Path) -> None:
    """A .keras archive whose weights member decompresses past the worker's memory limit."""
    from preplint.confirm import audit_artifact, render_audit_text

    config = json.dumps({"class_name": "Sequential", "config": {"layers": []}}).encode()
    write_zip(
        tmp_path / "bomb.keras",
        [
            ("config.json", config, 0, b""),
            ("metadata.json", b'{"keras_version": "3.0.0"}', 0, b""),
            ("model.weights.h5", b"\x89HDF\r\n\x1a\n", 96, b""),
        ],
    )
    options = ConfirmOptions(timeout=120, memory_limit_mb=1024)
    audit = audit_artifact(tmp_path / "bomb.keras", input_path=None, options=options)
    text = render_audit_text(audit)
    assert "model.weights.h5 too large: 1610612744 bytes (limit 1024 MiB)" in text
    assert audit["load"]["ok"] is False
    assert "keras" not in str(audit.get("failure") or "")


def test_small_members_are_read_whole_and_large_ones_refused(tmp_path: Path) -> None:
    import zipfile

    from preplint.confirm.pickle_scan import ScanError, read_member

    write_zip(tmp_path / "a.zip", [("small", b"abc", 0, b""), ("big", b"", 5, b"")])
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert read_member(archive, "small") == b"abc"
        with pytest.raises(ScanError, match=r"big too large: 83886080 bytes \(limit 64 MiB\)"):
            read_member(archive, "big")
        assert len(read_member(archive, "big", limit=100 << 20)) == 5 * _BLOCK
