"""A run over many files holds a bounded amount of loaded facts at once.

Facts beyond a budget wait on disk (`FactsStore`); between two files' analyses the index lets the
least recently used go, with their analysis answers, while more than the budget is loaded (the
default, in estimated bytes, or PREPLINT_KEEP_LOADED=N files), writing them first if they were
held since extraction. The output must be the one a run holding everything gives
(PREPLINT_KEEP_LOADED=all).
"""

from __future__ import annotations

import gc
import shutil
import weakref
from pathlib import Path

import pytest

import preplint.engine as engine_module
import preplint.pipeline.store as store_module
from preplint.facts.model import FileFacts
from preplint.facts.project import ProjectIndex, estimated_size, summarize
from preplint.pipeline.extraction import extract_source
from preplint.pipeline.parsed import Parsed
from tests.test_cli import run

ROOT = Path(__file__).resolve().parent.parent


def _tree(tmp_path: Path) -> Path:
    for name in ("fixtures", "tests/corpus"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def _check(tmp_path: Path, *extra: str) -> tuple[int, str]:
    code, out, err = run(["check", "--no-cache", "--format", "json", *extra, "."], tmp_path)
    assert "Traceback" not in err
    return code, out


@pytest.mark.parametrize(("keep", "jobs"), [("1", "1"), ("3", "1"), ("40", "1"), ("3", "2")])
def test_capped_run_gives_the_output_of_a_full_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: str, jobs: str
) -> None:
    # Guards: letting facts go while a memoised answer still points at them (an `is` test
    # between a reloaded file and the old one), or a project-wide answer lost with them.
    tree = _tree(tmp_path)
    monkeypatch.setenv("PREPLINT_KEEP_LOADED", "all")
    expected = _check(tree, "--jobs", jobs)
    assert expected[0] == 1 and '"code"' in expected[1]
    monkeypatch.setenv("PREPLINT_KEEP_LOADED", keep)
    assert _check(tree, "--jobs", jobs) == expected


def _count_store(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """Paths the store loads and writes, in order."""
    loads: list[str] = []
    saves: list[str] = []
    real_load, real_save = store_module.FactsStore.load, store_module.FactsStore.save

    def load(self: store_module.FactsStore, path: str) -> object:
        loads.append(path)
        return real_load(self, path)

    def save(self: store_module.FactsStore, facts: FileFacts) -> bool:
        if not self.holds(facts.path):
            saves.append(facts.path)
        return real_save(self, facts)

    monkeypatch.setattr(store_module.FactsStore, "load", load)
    monkeypatch.setattr(store_module.FactsStore, "save", save)
    return loads, saves


def test_the_default_budget_is_in_bytes_of_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Guards: a budget that is never applied, one counted in files instead of bytes, or a small
    # run that writes its facts to disk and reads them back for nothing.
    tree = _tree(tmp_path)
    loads, saves = _count_store(monkeypatch)
    monkeypatch.delenv("PREPLINT_KEEP_LOADED", raising=False)
    expected = _check(tree)
    # These few hundred small files fit: nothing is written or loaded.
    assert loads == saves == []
    # What the files weigh, summed: a budget of exactly that still holds them all.
    sizes = []
    for file in sorted(tree.rglob("*.py")):
        facts = extract_source(file.read_text(encoding="utf-8"), file.name).facts
        if facts is not None:
            sizes.append(estimated_size(facts))
    monkeypatch.setattr(engine_module, "FACTS_BUDGET", sum(sizes))
    assert _check(tree) == expected
    assert loads == saves == []
    # Half of it: some files are written at once or when let go, and read back.
    monkeypatch.setattr(engine_module, "FACTS_BUDGET", sum(sizes) // 2)
    assert _check(tree) == expected
    assert saves and loads and len(saves) == len(set(saves)) < len(sizes)
    loads.clear()
    saves.clear()
    # Smaller than the largest file's facts: every file is written, and some read back often.
    monkeypatch.setattr(engine_module, "FACTS_BUDGET", min(sizes) - 1)
    assert _check(tree) == expected
    assert len(loads) > len(set(loads)) and len(set(saves)) == len(saves) > len(sizes) // 2


def test_facts_held_since_extraction_are_written_before_they_go() -> None:
    # Guards: facts held from extraction and let go with no copy on disk (lost: the next
    # question about the file finds nothing).
    sources = {f"m{i}.py": f"import torch\nX{i} = {i}\n" for i in range(3)}
    facts = {p: extract_source(s, p).facts for p, s in sources.items()}
    written: dict[str, FileFacts] = {}
    held = [f for f in facts.values() if f is not None]
    index = ProjectIndex(
        held,
        summaries=[summarize(f) for f in held],
        load=written.get,
        spill=lambda f: written.setdefault(f.path, f) is f,
    )
    index.keep_loaded = 1
    assert index.all_loaded
    index.settle()
    assert sorted(written) == ["m0.py", "m1.py"] and not index.all_loaded
    found = index.loaded("m0.py")
    assert found is not None and found.constants["X0"] == facts["m0.py"].constants["X0"]  # type: ignore[union-attr]


def test_capped_run_lets_facts_go_and_loads_them_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Guards: a cap that is never applied (every file loaded once and kept).
    tree = _tree(tmp_path)
    loads, _ = _count_store(monkeypatch)
    monkeypatch.setenv("PREPLINT_KEEP_LOADED", "1")
    _check(tree)
    capped = len(loads)
    stored = len(set(loads))
    assert stored > 50
    assert capped > stored  # files were let go and read back
    # Without a limit nothing goes through the store at all.
    loads.clear()
    monkeypatch.setenv("PREPLINT_KEEP_LOADED", "all")
    _check(tree)
    assert loads == []


def _index(sources: dict[str, str]) -> tuple[ProjectIndex, list[str]]:
    facts: dict[str, FileFacts] = {}
    for path, source in sources.items():
        found = extract_source(source, path).facts
        assert found is not None
        facts[path] = found
    loads: list[str] = []

    def load(path: str) -> FileFacts:
        loads.append(path)
        # A new object each time, as a store's unpickling gives.
        found = extract_source(sources[path], path).facts
        assert found is not None
        return found

    index = ProjectIndex(summaries=[summarize(f) for f in facts.values()], load=load)
    index.keep_loaded = 2
    return index, loads


SOURCES = {f"m{i}.py": f"import torch\nX{i} = {i}\n" for i in range(4)}


def test_the_least_recently_used_facts_go_first() -> None:
    # Guards: letting everything go at once, or the oldest loaded instead of the oldest used.
    index, loads = _index(SOURCES)
    index.loaded("m0.py")
    index.loaded("m1.py")
    index.loaded("m0.py")  # used again: m1 is now the oldest
    index.loaded("m2.py")
    index.settle()
    loads.clear()
    index.loaded("m0.py")
    index.loaded("m2.py")
    assert loads == []  # both stayed
    index.loaded("m1.py")
    assert loads == ["m1.py"]  # it went


def test_facts_still_referenced_are_reused_not_loaded_twice() -> None:
    # Guards: a second object for a file while a memo holds the first, which breaks every
    # `owner is facts` test of analysis.
    index, loads = _index(SOURCES)
    kept = index.loaded("m0.py")
    for name in ("m1.py", "m2.py", "m3.py"):
        index.loaded(name)
    index.settle()
    loads.clear()
    assert index.loaded("m0.py") is kept
    assert loads == []
    del kept
    index.loaded("m1.py")  # not referenced any more once let go: loaded again
    assert loads == ["m1.py"]


def test_a_bad_cap_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _tree(tmp_path)
    expected = _check(tree)
    monkeypatch.setenv("PREPLINT_KEEP_LOADED", "many")
    assert _check(tree) == expected


def test_the_store_folder_is_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _tree(tmp_path)
    made: list[Path] = []
    real = store_module.FactsStore.__init__

    def remember(self: store_module.FactsStore, *args: object) -> None:
        real(self, *args)  # type: ignore[arg-type]
        made.append(self.folder)

    monkeypatch.setattr(store_module.FactsStore, "__init__", remember)
    monkeypatch.setenv("PREPLINT_KEEP_LOADED", "5")
    _check(tree)
    assert made and not any(folder.exists() for folder in made)


def test_extraction_leaves_no_cyclic_garbage() -> None:
    # Guards: a run works with the cyclic collector off (`lint_project`), so garbage in cycles
    # is never freed: `evaluated_value` (ast.literal_eval) left four closures per string
    # literal, some 200 MB over the benchmark corpus.
    source = "".join(
        f'PATH_{i} = "data/{i}.csv"\nRAW_{i} = r"\\d{i}"\nif __name__ == "__main__":\n    print(PATH_{i})\n'
        for i in range(200)
    )
    extract_source(source, "warm.py")  # imports and first-use caches
    gc.collect()
    gc.disable()
    try:
        facts = extract_source(source, "train.py").facts
        assert facts is not None and facts.constants["PATH_7"] == "data/7.csv"
        assert facts.main_guard
        found = gc.collect()
    finally:
        gc.enable()
    assert found < 50, f"{found} objects in cycles"


def test_a_pool_does_not_hold_delivered_facts(tmp_path: Path) -> None:
    # Guards: the extraction pool keeping each result in its future until the pool ends, so a
    # run at --jobs 2 held every file's facts however little the store kept (1.9 GB).
    from dataclasses import replace

    from preplint.pipeline.extraction import extract_all

    files = []
    for i in range(40):
        file = tmp_path / f"train_{i}.py"
        file.write_text(
            f"import torch\nmodel_{i} = torch.nn.Linear({i + 1}, 2)\nmodel_{i}.train()\n"
        )
        files.append((file, file.name))
    delivered: list[weakref.ref[FileFacts]] = []
    alive_then: list[int] = []

    def keep(parsed: Parsed) -> Parsed:
        assert parsed.facts is not None
        alive_then.append(sum(ref() is not None for ref in delivered))
        delivered.append(weakref.ref(parsed.facts))
        return replace(parsed, facts=None)

    parsed = extract_all(files, jobs=2, keep=keep)
    assert len(parsed) == len(delivered) == 40 and all(p.facts is None for p in parsed)
    assert max(alive_then) <= 2, alive_then


def test_rules_run_in_one_process_when_the_facts_do_not_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Guards: forked rule workers for a project over the budget, each holding its own facts
    # and answers on top of the parent's pages (870 MB at --jobs 2 on the benchmark corpus);
    # and the pool lost for projects that fit.
    import concurrent.futures

    tree = _tree(tmp_path)
    pools: list[int] = []
    real = concurrent.futures.ProcessPoolExecutor

    def counting(*args: object, **kwargs: object) -> concurrent.futures.ProcessPoolExecutor:
        pools.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", counting)
    monkeypatch.delenv("PREPLINT_KEEP_LOADED", raising=False)
    expected = _check(tree, "--jobs", "2")
    fit = len(pools)
    assert fit >= 2  # extraction and rules
    pools.clear()
    monkeypatch.setattr(engine_module, "FACTS_BUDGET", 100_000)
    assert _check(tree, "--jobs", "2") == expected
    assert len(pools) == fit - 1  # extraction only


def test_a_full_disk_keeps_facts_in_memory_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Guards: a store that cannot write (disk full, folder removed) crashing the run and losing
    # every file's findings: facts it cannot write stay in memory, over the budget.
    import errno

    tree = _tree(tmp_path)
    monkeypatch.setenv("PREPLINT_KEEP_LOADED", "all")
    expected = _check(tree)
    writes: list[str] = []

    def full(self: store_module.FactsStore, name: str, data: bytes) -> None:
        writes.append(name)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.FactsStore, "_write", full)
    monkeypatch.setenv("PREPLINT_KEEP_LOADED", "3")
    assert _check(tree) == expected
    assert len(writes) == 1  # tried once, then the store holds what it cannot write
