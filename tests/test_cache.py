"""The caches: a cached run equals a fresh one, and a bad entry heals instead of breaking runs."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from preplint.cache import FactsCache
from tests.test_cli import run, write

SCRIPTS = {
    "bad.py": "import torch\nstate = torch.load('model.pt')\n",
    "train.py": """\
        import torch
        model = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.Dropout(0.5))
        torch.save(model.state_dict(), "net.pt")
        """,
    "broken.py": "import torch\ndef f(:\n",
    "ok.py": "import numpy as np\nnp.random.seed(0)\n",
}


def _entries(cache: Path, runs: bool) -> list[Path]:
    """Run entries, or facts entries (not the per-file records under `state/`)."""
    return [
        p
        for p in cache.rglob("*.json")
        if (p.parent.name == "runs") == runs and p.parent.name != "state"
    ]


def _states(cache: Path) -> list[Path]:
    return sorted((cache / "state").glob("*.json"))


def _fresh(tmp_path: Path) -> tuple[int, str]:
    code, out, _ = run(["check", "--no-cache", "--format", "json", "."], tmp_path)
    return code, out


def _cached(tmp_path: Path) -> tuple[int, str, str]:
    return run(["check", "--cache-dir", "cache", "--format", "json", "."], tmp_path)


def _poison(paths: list[Path], pattern: str, replacement: str) -> None:
    changed = 0
    for path in paths:
        text = path.read_text(encoding="utf-8")
        new = re.sub(pattern, replacement, text)
        changed += new != text
        path.write_text(new, encoding="utf-8")
    assert changed, f"nothing matched {pattern!r}"


def _all_decode(cache: Path) -> None:
    """Every entry left is one the cache reads back (the poisoned ones were replaced)."""
    store = FactsCache(cache)
    for entry in _entries(cache, runs=False):
        document = json.loads(entry.read_text(encoding="utf-8"))
        assert store._decoded(entry, document["key"], "parsed") is not None, entry
    for entry in _entries(cache, runs=True):
        document = json.loads(entry.read_text(encoding="utf-8"))
        assert store.get_report(document["key"]) is not None, entry


RUN_POISONS = [
    (r'"line":(\d+)', r'"line":"\1"'),
    (r'"files":(\d+)', r'"files":[\1]'),
    (r'"diagnostics":\{"\$t"', r'"diagnostics":{"$fs"'),
    (r'"\$sev":\d+', r'"$sev":"x"'),
    (r'"severity":\{"\$sev":\d+\}', r'"severity":3'),
    (r'"partners":\[', r'"partners":[7,'),
]
FACTS_POISONS = [
    (r'"facts":\{', r'"facts":5,"x":{'),
    (r'"facts":\{"\$":"FileFacts"', r'"facts":{"$":"Span"'),
    (r'"stmt":(\d+)', r'"stmt":[\1]'),
    (r'"args":\{"\$t":\[', r'"args":{"$t":[5,'),
    (r'"span":\{"\$":"Span","line":(\d+)', r'"span":{"$":"Span","line":true'),
    (r'"path":"([^"]*)"', r'"path":null'),
    (r'"imports":\{"\$d":\[', r'"imports":{"$d":[[1,2],'),
]


@pytest.mark.parametrize(("pattern", "replacement"), RUN_POISONS)
def test_poisoned_run_entry_is_dropped_and_rewritten(
    tmp_path: Path, pattern: str, replacement: str
) -> None:
    write(tmp_path, SCRIPTS)
    expected = _fresh(tmp_path)
    assert _cached(tmp_path)[:2] == expected
    cache = tmp_path / "cache"
    # Poison the run entry twice: the first bad run must not leave it bad for the next.
    for _ in range(2):
        _poison(_entries(cache, runs=True), pattern, replacement)
        code, out, err = _cached(tmp_path)
        assert (code, out) == expected and "Traceback" not in err and "internal" not in err
    _all_decode(cache)


@pytest.mark.parametrize(("pattern", "replacement"), FACTS_POISONS)
def test_poisoned_facts_entry_is_dropped_and_rewritten(
    tmp_path: Path, pattern: str, replacement: str
) -> None:
    write(tmp_path, SCRIPTS)
    expected = _fresh(tmp_path)
    assert _cached(tmp_path)[:2] == expected
    cache = tmp_path / "cache"
    for _ in range(2):
        for entry in [*_entries(cache, runs=True), *_states(cache)]:
            entry.unlink()  # so that the facts entries are read
        _poison(_entries(cache, runs=False), pattern, replacement)
        code, out, err = _cached(tmp_path)
        assert (code, out) == expected and "Traceback" not in err and "internal" not in err
    _all_decode(cache)


def test_valid_entries_are_kept(tmp_path: Path) -> None:
    write(tmp_path, SCRIPTS)
    expected = _fresh(tmp_path)
    _cached(tmp_path)
    cache = tmp_path / "cache"
    for entry in _entries(cache, runs=True):
        entry.unlink()
    before = {p: p.stat().st_mtime_ns for p in _entries(cache, runs=False)}
    assert _cached(tmp_path)[:2] == expected
    assert {p: p.stat().st_mtime_ns for p in _entries(cache, runs=False)} == before
    _all_decode(cache)


# --- the run cache key covers what the result read ---------------------------------------------

TRAIN = """\
    import joblib
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    scaler = StandardScaler()
    X = scaler.fit_transform(X_raw)
    clf = SVC().fit(X, y)
    joblib.dump(clf, "artifacts/clf.joblib")
    joblib.dump(scaler, "artifacts/scaler.joblib")
    """
PREDICT = """\
    import joblib
    import pandas as pd

    def predict(path):
        clf = joblib.load("artifacts/clf.joblib")
        rows = pd.read_csv(path)
        return clf.predict(rows)
    """
UNRELATED = "import numpy as np\nprint(np.zeros(3))\n"


def _both(tmp_path: Path, *args: str) -> tuple[tuple[int, str], tuple[int, str]]:
    fresh = run(["check", "--no-cache", "--format", "json", *args], tmp_path)
    cached = run(["check", "--cache-dir", "cache", "--format", "json", *args], tmp_path)
    return fresh[:2], cached[:2]


def _codes(output: str) -> set[str]:
    return {d["code"] for d in json.loads(output)["diagnostics"]}


def test_partner_that_did_not_parse_is_in_the_run_key(tmp_path: Path) -> None:
    write(tmp_path, {"train.py": TRAIN + "def broken(:\n", "predict.py": PREDICT})
    fresh, cached = _both(tmp_path, "predict.py")
    assert fresh == cached and "PRE003" not in _codes(fresh[1])
    write(tmp_path, {"train.py": TRAIN})  # the partner is fixed: its scaler now counts
    fresh, cached = _both(tmp_path, "predict.py")
    assert "PRE003" in _codes(fresh[1])
    assert cached == fresh


def test_sibling_that_starts_saving_the_artifact_is_in_the_run_key(tmp_path: Path) -> None:
    write(tmp_path, {"train.py": UNRELATED, "predict.py": PREDICT})
    fresh, cached = _both(tmp_path, "predict.py")
    assert fresh == cached and "PRE003" not in _codes(fresh[1])
    write(tmp_path, {"train.py": TRAIN})  # same listing, new content
    fresh, cached = _both(tmp_path, "predict.py")
    assert "PRE003" in _codes(fresh[1])
    assert cached == fresh


def test_unchanged_neighbourhood_reuses_the_run(tmp_path: Path) -> None:
    write(tmp_path, {"train.py": TRAIN, "predict.py": PREDICT, "other.py": UNRELATED})
    fresh, cached = _both(tmp_path, "predict.py")
    assert fresh == cached
    runs = _entries(tmp_path / "cache", runs=True)
    assert len(runs) == 1
    stamp = runs[0].stat().st_mtime_ns
    document = json.loads(runs[0].read_text(encoding="utf-8"))
    assert any(path.endswith("train.py") for path, _ in document["partners"])
    assert (
        run(["check", "--cache-dir", "cache", "--format", "json", "predict.py"], tmp_path)[:2]
        == fresh
    )
    assert runs[0].stat().st_mtime_ns == stamp  # read, not written again


def test_run_key_changes_when_preplint_source_changes(tmp_path: Path) -> None:
    """An edited rule in a development checkout is not answered from the old code's reports."""
    from preplint import cache as cache_module

    store = cache_module.FactsCache(tmp_path / "cache")
    before = store.run_key(["x"], [("a.py", b"import torch\n")])
    cache_module.code_stamp.cache_clear()
    rule_file = Path(cache_module.__file__).resolve().parent / "rules" / "__init__.py"
    stat = rule_file.stat()
    try:
        os.utime(rule_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        cache_module.code_stamp.cache_clear()
        after = store.run_key(["x"], [("a.py", b"import torch\n")])
    finally:
        os.utime(rule_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        cache_module.code_stamp.cache_clear()
    assert before != after
    assert store.run_key(["x"], [("a.py", b"import torch\n")]) == before


def test_an_entry_that_vanishes_while_pruning_does_not_stop_the_write(tmp_path: Path) -> None:
    # A concurrent run may delete an old entry between the listing and its stat(); a dangling
    # link stands in for it. Before, that OSError skipped writing the run and state entries.
    write(tmp_path, SCRIPTS)
    for kind in ("runs", "state"):
        folder = tmp_path / "cache" / kind
        folder.mkdir(parents=True)
        (folder / "gone.json").symlink_to(folder / "missing-target.json")
    _cached(tmp_path)
    cache = tmp_path / "cache"
    assert [p for p in (cache / "runs").glob("*.json") if p.is_file()]
    assert [p for p in (cache / "state").glob("*.json") if p.is_file()]
