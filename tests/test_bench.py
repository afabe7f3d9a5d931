"""The pure logic of bench/run.py's --incremental and --memory modes."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# run.py imports its sibling `corpus` as a top-level module, as when run as a script.
sys.path.insert(0, str(ROOT / "bench"))
_spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
assert _spec is not None and _spec.loader is not None
run = importlib.util.module_from_spec(_spec)
sys.modules["bench_run"] = run
_spec.loader.exec_module(run)


# --- module names and the import graph


def test_module_names_strip_the_sdist_folder_src_and_init():
    assert run.module_names("timm-1.0.31/timm/models/vit.py") == ["timm.models.vit"]
    assert run.module_names("lightning-2.6.6/src/lightning/fabric/fabric.py") == [
        "src.lightning.fabric.fabric",
        "lightning.fabric.fabric",
    ]
    assert run.module_names("keras-3.15.1/keras/src/__init__.py") == ["keras.src"]


def test_module_names_of_non_python_files_and_top_level_files():
    assert run.module_names("timm-1.0.31/README.md") == []
    assert run.module_names("timm-1.0.31/train.py") == ["train"]


def test_relative_imports_resolve_against_the_package():
    source = "from . import a\nfrom ..b import c\nfrom .d import *\nimport e.f\n"
    found = run.imported_modules(source, "pkg.sub.mod", is_package=False)
    assert {"pkg.sub", "pkg.sub.a", "pkg.b", "pkg.b.c", "pkg.sub.d", "e.f"} <= found
    assert "pkg.sub.d.*" not in found
    # In a package's __init__, `.` is the package itself.
    assert "pkg.sub.x" in run.imported_modules("from .x import y\n", "pkg.sub", is_package=True)
    # Going above the top package resolves nothing.
    assert run.imported_modules("from .... import z\n", "pkg.mod", is_package=False) == set()


def test_imported_modules_of_a_file_that_does_not_parse_is_empty():
    assert run.imported_modules("def (:\n", "m", is_package=False) == set()


def test_middle_file_is_imported_and_imports():
    sources = {
        "p-1/pkg/top.py": "from pkg import mid\n",
        "p-1/pkg/other.py": "import pkg.mid\n",
        "p-1/pkg/mid.py": "from .leaf import X\n",
        "p-1/pkg/leaf.py": "X = 1\n",
        "p-1/pkg/alone.py": "import os\n",
    }
    graph = run.import_graph(sources)
    assert graph["p-1/pkg/top.py"] == {"p-1/pkg/mid.py"}
    assert graph["p-1/pkg/mid.py"] == {"p-1/pkg/leaf.py"}
    assert graph["p-1/pkg/alone.py"] == set()
    assert run.middle_file(graph) == "p-1/pkg/mid.py"


def test_middle_file_without_a_middle_takes_the_most_linked():
    graph = {"a.py": {"b.py"}, "c.py": {"b.py"}, "b.py": set()}
    assert run.middle_file(graph) == "b.py"


# --- edits


def test_comment_edit_appends_one_line_and_keeps_the_rest():
    assert run.edit_comment("x = 1\n", 3) == "x = 1\n# bench edit 3\n"
    assert run.edit_comment("x = 1", 3) == "x = 1\n# bench edit 3\n"
    assert run.edit_comment("x = 1\n", 3) != run.edit_comment("x = 1\n", 4)


def test_constant_edit_changes_only_the_first_module_level_int():
    source = 'NAME = "s"\nFLAG = True\ndef f():\n    Y = 5\nLIMIT = 40  # é\nOTHER = 7\n'
    edited = run.edit_constant(source, 2)
    assert edited == source.replace("LIMIT = 40", "LIMIT = 42")
    ast.parse(edited)


def test_constant_edit_without_a_module_constant_takes_the_first_int_literal():
    source = "FLAG = True\ndef f(x=3):\n    return x * 7\n"
    assert run.constant_site(source) == (2, 8, 9, 3)
    assert run.edit_constant(source, 1) == "FLAG = True\ndef f(x=4):\n    return x * 7\n"


def test_constant_edit_with_no_int_literal_is_none():
    assert run.constant_site("FLAG = True\nNAME = 'x'\n") is None
    assert run.edit_constant("FLAG = True\nNAME = 'x'\n", 1) is None
    assert run.edit_constant("def (:\n", 1) is None


def test_constant_edit_counts_columns_in_bytes():
    source = "É = 'é'; N = 1\nLIMIT: int = 10\n"
    # `N = 1` is the first module-level int; its column counts two 2-byte characters before it.
    assert run.edit_constant(source, 5) == "É = 'é'; N = 6\nLIMIT: int = 10\n"
    assert run.edit_constant("LIMIT: int = 10\n", 5) == "LIMIT: int = 15\n"


def test_link_edit_loads_the_artifact():
    edited = run.edit_link("import os\n", 2, "teacher.pth")
    tree = ast.parse(edited)
    loads = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "load"
    ]
    assert [ast.literal_eval(c.args[0]) for c in loads] == ["teacher.pth"]
    assert edited.startswith("import os\n")


def test_copy_tree_copies_files_and_project_markers(tmp_path):
    root, dest = tmp_path / "corpus", tmp_path / "tree"
    for relative in ("p-1/pyproject.toml", "p-1/pkg/a.py", "p-1/pkg/b.py", "q-2/setup.cfg"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(relative)
    run.copy_tree(root, ["p-1/pkg/a.py"], dest)
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert copied == ["p-1/pkg/a.py", "p-1/pyproject.toml"]


# --- RESULTS.md sections


def test_replace_section_replaces_only_its_own_section():
    text = "# R\n\n## Ratios\n\n| a |\n\n## Mine\n\nold\n\n## After\n\nkept\n"
    new = run.replace_section(text, "## Mine", ["## Mine", "", "new"])
    assert new == "# R\n\n## Ratios\n\n| a |\n\n## Mine\n\nnew\n\n## After\n\nkept\n"


def test_replace_section_appends_a_missing_section():
    new = run.replace_section("# R\n\n## Ratios\n\n| a |\n\n", "## Mine", ["## Mine", "", "x"])
    assert new == "# R\n\n## Ratios\n\n| a |\n\n## Mine\n\nx\n"


def test_kept_sections_carry_over_into_a_fresh_report():
    old = "# R\n\n## Old table\n\n1\n\n## Mine\n\nfigures\n\n## Other\n\n2\n"
    sections = run.kept_sections(old, ["## Mine", "## Absent"])
    assert sections == [["## Mine", "", "figures"]]
    fresh = "# R\n\n## New table\n\n3\n"
    for section in sections:
        fresh = run.replace_section(fresh, section[0], section)
    assert "figures" in fresh and "3" in fresh and "1\n" not in fresh


# --- process tree memory


def test_status_kib_reads_a_field():
    text = "Name:\tpython\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n"
    assert run.status_kib(text, "VmRSS") == 1024
    assert run.status_kib(text, "VmHWM") == 2048
    assert run.status_kib(text, "Pss") is None


def test_tree_memory_sums_per_sample_and_keeps_each_process_peak():
    tree = run.TreeMemory()
    tree.add([(1, 100, 150, 90), (2, 50, 60, 30)])
    tree.add([(1, 120, 160, 100)])
    tree.add([(1, 80, 160, 70), (3, 70, 75, 40), (4, 10, 20, 5)])
    assert tree.peak_rss_sum_kib == 160  # 80 + 70 + 10 beats 100 + 50 and 120
    assert tree.peak_pss_sum_kib == 120
    assert tree.peak_processes == 3
    assert tree.largest_hwm_kib == 160
    assert sorted(tree.hwm_kib) == [1, 2, 3, 4]


def test_proc_tree_finds_a_grandchild():
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("no /proc/PID/task/TID/children on this system")
    code = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; time.sleep(5)'])"
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 5
        members = run.proc_tree(proc.pid)
        while len(members) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            members = run.proc_tree(proc.pid)
        assert members[0] == proc.pid and len(members) == 2
        readings = run.sample_tree(proc.pid)
        assert {r[0] for r in readings} == set(members)
        assert all(rss > 0 and hwm >= rss for _, rss, hwm, _ in readings)
    finally:
        for pid in reversed(run.proc_tree(proc.pid)):
            os.kill(pid, 9)
        proc.wait()
    assert run.proc_tree(os.getpid())[0] == os.getpid()


def test_tree_memory_leaves_pss_alone_in_samples_without_it():
    tree = run.TreeMemory()
    tree.add([(1, 100, 100, 80)])
    tree.add([(1, 300, 300, -1), (2, 50, 50, -1)])
    assert tree.peak_rss_sum_kib == 350
    assert tree.peak_pss_sum_kib == 80
    assert tree.largest_hwm_kib == 300


def test_sample_tree_without_pss_marks_it_unread():
    readings = run.sample_tree(os.getpid(), with_pss=False)
    assert readings and readings[0][0] == os.getpid()
    assert all(pss == -1 for *_, pss in readings)
    assert all(pss >= 0 for *_, pss in run.sample_tree(os.getpid()))


def test_peak_memory_is_pss_or_one_process_high_water_mark():
    # Guards: holding the RSS sum to the target (a forked worker's pages shared with its
    # parent counted twice), or a Pss figure that misses a short peak of one process.
    tree = run.TreeMemory()
    tree.add([(1, 300, 300, 200), (2, 280, 280, 60), (3, 280, 280, 60)])
    assert run.peak_memory_kib(tree) == 320  # Pss 200 + 60 + 60, not RSS 860
    tree.add([(1, 100, 400, -1)])  # one process peaked at 400 between two Pss samples
    assert run.peak_memory_kib(tree) == 400
