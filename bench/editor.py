"""Editor timings: a stdin run on a ~500-line file against `python -c "import libcst"`, and
the server's warm re-lint of an edited 500-line buffer. Prints the numbers (wall and CPU);
writes nothing to the repository.

    python bench/editor.py [--runs 7] [--edits 20]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STDIN_TARGET = 2.0  # stdin run / `python -c "import libcst"`
RELINT_TARGET_MS = 100.0

HEADER = '''\
"""Training and serving for a tabular model (generated for the editor benchmark)."""

import numpy as np
import pandas as pd
import keras
from sklearn.preprocessing import StandardScaler
from sklearn.model_selection import train_test_split

from config import MODEL_PATH, SCALER_PATH

'''

BLOCK = '''\

def load_frame_{n}(path: str) -> pd.DataFrame:
    """Read one shard and drop the rows the label is missing from."""
    frame = pd.read_csv(path)
    frame = frame.dropna(subset=["price"])
    frame["rooms_{n}"] = frame["rooms"].clip(lower=1)
    frame["area_{n}"] = frame["area"] / frame["rooms_{n}"]
    return frame


def features_{n}(frame: pd.DataFrame) -> np.ndarray:
    columns = ["rooms_{n}", "area_{n}", "age", "distance"]
    values = frame[columns].to_numpy()
    if values.shape[0] == 0:
        raise ValueError("empty shard {n}")
    return values.astype("float32")


def build_model_{n}(width: int = {width}) -> keras.Model:
    inputs = keras.Input(shape=(4,))
    hidden = keras.layers.Dense(width, activation="relu")(inputs)
    hidden = keras.layers.Dropout(0.1)(hidden)
    outputs = keras.layers.Dense(1)(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    return model


class Trainer{n}:
    def __init__(self, epochs: int = {epochs}) -> None:
        self.epochs = epochs
        self.history: list[float] = []

    def run(self, frame: pd.DataFrame) -> keras.Model:
        x = features_{n}(frame)
        y = frame["price"].to_numpy()
        x_train, x_test, y_train, y_test = train_test_split(x, y, random_state={n})
        scaler = StandardScaler()
        x_train = scaler.fit_transform(x_train)
        model = build_model_{n}()
        result = model.fit(x_train, y_train, epochs=self.epochs, verbose=0)
        self.history.extend(result.history["loss"])
        return model
'''

FOOTER = """

if __name__ == "__main__":
    frame = load_frame_0("data/houses.csv")
    model = Trainer0().run(frame)
    model.save(MODEL_PATH)
"""


def generated_source(lines: int = 500) -> str:
    parts = [HEADER]
    n = 0
    while sum(p.count("\n") for p in parts) + FOOTER.count("\n") < lines:
        parts.append(BLOCK.format(n=n, width=16 + 8 * (n % 4), epochs=5 + n % 3))
        n += 1
    return "".join(parts) + FOOTER


def project(folder: Path) -> Path:
    """A small project: the generated script, the config module it imports, requirements."""
    (folder / "config.py").write_text(
        'MODEL_PATH = "artifacts/model.keras"\nSCALER_PATH = "artifacts/scaler.joblib"\n'
    )
    (folder / "requirements.txt").write_text("keras>=3\nscikit-learn\npandas\n")
    script = folder / "train_and_serve.py"
    script.write_text(generated_source(), encoding="utf-8")
    return script


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path, stdin: bytes = b"") -> tuple[float, float]:
    """Wall and CPU seconds of one run (CPU: user + system of the reaped child)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, input=stdin, capture_output=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.decode()}")
    return elapsed, _children_cpu() - cpu


def median_of(runs: int, command: list[str], cwd: Path, stdin: bytes = b"") -> tuple[float, float]:
    timed(command, cwd, stdin)  # page cache, .pyc files
    samples = [timed(command, cwd, stdin) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def _process_cpu(pid: int) -> float:
    """User + system seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def relint_numbers(folder: Path, script: Path, edits: int) -> tuple[list[float], float]:
    """Wall ms of each warm re-lint (edit sent to diagnostics received), and the server's
    mean CPU ms per re-lint."""
    sys.path.insert(0, str(REPO))
    from tests.lsp_client import LspClient

    client = LspClient(folder)
    try:
        text = script.read_text(encoding="utf-8")
        client.open(script, text=text)
        client.diagnostics_for(script, version=1)
        times: list[float] = []
        cpu_start = 0.0
        for version in range(2, edits + 3):
            if version == 3:  # the first edit warms what the open did not
                cpu_start = _process_cpu(client.process.pid)
            # Each edit changes a constant in the middle of the file, as typing does.
            edited = text.replace("clip(lower=1)", f"clip(lower={version})", 1)
            start = time.perf_counter()
            client.change(script, edited, version=version)
            client.diagnostics_for(script, version=version)
            if version > 2:
                times.append((time.perf_counter() - start) * 1000)
        cpu_ms = (_process_cpu(client.process.pid) - cpu_start) * 1000 / len(times)
        return times, cpu_ms
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command")
    parser.add_argument("--edits", type=int, default=20, help="timed server re-lints")
    args = parser.parse_args()
    os.environ.pop("PREPLINT_CACHE_DIR", None)
    sys.path.insert(0, str(REPO / "bench"))
    from run import ensure_bytecode  # the state `pip install .` leaves, as bench/run.py times

    with tempfile.TemporaryDirectory(prefix="preplint-editor-bench-") as tmp:
        folder = Path(tmp)
        note = ensure_bytecode(folder, dict(os.environ))
        if note:
            print(note)
        script = project(folder)
        lines = script.read_text().count("\n")
        data = script.read_bytes()
        check = [sys.executable, "-m", "preplint", "check", "--format", "json"]
        libcst, libcst_cpu = median_of(args.runs, [sys.executable, "-c", "import libcst"], folder)
        stdin, stdin_cpu = median_of(
            args.runs, [*check, "--stdin-filename", script.name, "-"], folder, data
        )
        print(f"file: {lines} lines (generated); load average {os.getloadavg()[0]:.2f}")
        print(f"median of {args.runs} runs                 wall ms    CPU ms")
        print(f'python -c "import libcst"        {libcst * 1000:8.1f}  {libcst_cpu * 1000:8.1f}')
        print(f"check --stdin-filename F -       {stdin * 1000:8.1f}  {stdin_cpu * 1000:8.1f}")
        ratio = stdin / libcst
        verdict = "PASS" if ratio <= STDIN_TARGET else "FAIL"
        print(
            f"stdin / import libcst: {ratio:.2f} (CPU {stdin_cpu / libcst_cpu:.2f}); "
            f"target <= {STDIN_TARGET}: {verdict}"
        )
        times, cpu_ms = relint_numbers(folder, script, args.edits)
        median = statistics.median(times)
        verdict = "PASS" if median < RELINT_TARGET_MS else "FAIL"
        print(
            f"server warm re-lint after an edit: {median:.1f} ms wall (median of {len(times)}, "
            f"min {min(times):.1f}, max {max(times):.1f}); server CPU {cpu_ms:.1f} ms per "
            f"re-lint; target < {RELINT_TARGET_MS:.0f} ms: {verdict}"
        )


if __name__ == "__main__":
    main()
