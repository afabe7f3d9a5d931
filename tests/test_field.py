"""The pure logic of bench/field.py: labels, keys, sampling, scoring, context, counting."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("field", ROOT / "bench" / "field.py")
assert _spec is not None and _spec.loader is not None
field = importlib.util.module_from_spec(_spec)
sys.modules["field"] = field
_spec.loader.exec_module(field)


def diag(path="a.py", line=3, code="SEED001", cell=None, **extra):
    d = {"path": path, "line": line, "code": code, "column": 1, "message": "m"}
    if cell is not None:
        d["cell"] = cell
    d.update(extra)
    return d


def label_line(**kw):
    base = {"repo": "o/r", "path": "a.py", "line": 3, "code": "SEED001", "label": "TRUE"}
    base.update(kw)
    return json.dumps(base)


def test_family_of_known_and_unknown_codes():
    assert field.family_of("LOAD003") == "LOAD"
    assert field.family_of("DTYPE001") == "DTYPE"
    assert field.family_of("SYNTAX") is None
    assert field.family_of("XYZ001") is None


def test_repo_dir_name():
    assert field.repo_dir_name("owner/name") == "owner+name"


def test_parse_labels_reads_good_lines_and_reports_bad_ones():
    lines = [
        label_line(),
        "",
        "not json",
        json.dumps(["a list"]),
        json.dumps({"repo": "o/r", "path": "a.py", "line": 4}),
        label_line(line=5, label="MAYBE"),
        label_line(line=6, label="FALSE", cell=2, path="n.ipynb"),
        label_line(line="x"),
    ]
    labels, problems = field.parse_labels(lines, "L.jsonl")
    assert set(labels) == {("o/r", "a.py", None, 3, "SEED001"), ("o/r", "n.ipynb", 2, 6, "SEED001")}
    assert len(problems) == 5
    assert any("L.jsonl:3: not JSON" in p for p in problems)
    assert any("missing code, label" in p for p in problems)
    assert any("'MAYBE'" in p for p in problems)
    assert any("must be integers" in p for p in problems)


def test_parse_labels_duplicate_key_last_wins_and_is_reported():
    labels, problems = field.parse_labels(
        [label_line(label="TRUE"), label_line(label="FALSE")], "L.jsonl"
    )
    assert labels[("o/r", "a.py", None, 3, "SEED001")]["label"] == "FALSE"
    assert len(problems) == 1 and "second label" in problems[0]


def test_load_labels_flags_a_label_in_the_wrong_family_file(tmp_path):
    (tmp_path / "SEED.jsonl").write_text(label_line(code="PRE001") + "\n" + label_line() + "\n")
    labels, problems = field.load_labels(tmp_path)
    assert len(labels) == 2
    assert problems == [f"{tmp_path / 'SEED.jsonl'}: label for PRE001 belongs in PRE.jsonl"]


def test_finding_key_notebook_cell_distinguishes_findings():
    a = field.finding_key("o/r", diag(path="n.ipynb", cell=1))
    b = field.finding_key("o/r", diag(path="n.ipynb", cell=2))
    assert a != b
    assert field.finding_key("o/r", diag())[2] is None


def test_score_counts_labels_unlabelled_and_gone():
    findings = [
        (field.finding_key("o/r", d), d)
        for d in (diag(line=1), diag(line=2), diag(line=3), diag(line=4, code="PRE004"))
    ]
    labels, _ = field.parse_labels(
        [
            label_line(line=1, label="TRUE"),
            label_line(line=2, label="FALSE"),
            label_line(line=9, label="FALSE", note="fixed"),
            label_line(repo="x/y", line=9, label="TRUE"),
        ],
        "L",
    )
    result = field.score(findings, labels, {"o/r"})
    seed = result["rules"]["SEED001"]
    assert (seed["findings"], seed["TRUE"], seed["FALSE"], seed["unlabelled"]) == (3, 1, 1, 1)
    assert result["rules"]["PRE004"]["unlabelled"] == 1
    # the label of a repository that was not run is not "gone"
    assert [g["line"] for g in result["gone"]] == [9]
    assert result["gone"][0]["repo"] == "o/r"


def test_precision():
    assert field.precision(9, 1) == 0.9
    assert field.precision(0, 0) is None
    assert field.precision(0, 3) == 0.0


def test_sample_is_deterministic_per_rule_and_keeps_small_rules_whole():
    keys = [("o/r", "a.py", None, n, "SEED001") for n in range(50)]
    keys += [("o/r", "a.py", None, n, "PRE001") for n in range(3)]
    s1 = field.choose_sample(keys, 10)
    s2 = field.choose_sample(list(reversed(keys)), 10)
    assert s1 == s2
    assert sum(1 for k in s1 if k[4] == "SEED001") == 10
    assert sum(1 for k in s1 if k[4] == "PRE001") == 3
    # a different sample size keeps the earlier picks (lowest hashes first)
    assert s1 <= field.choose_sample(keys, 20)


def test_score_with_sample_separates_findings_outside_it():
    ds = [diag(line=n) for n in range(6)]
    findings = [(field.finding_key("o/r", d), d) for d in ds]
    sample = field.choose_sample([k for k, _ in findings], 2)
    result = field.score(findings, {}, {"o/r"}, sample)
    c = result["rules"]["SEED001"]
    assert (c["unlabelled"], c["outside_sample"]) == (2, 4)


def test_context_marks_the_line_and_clips_at_edges():
    lines = [f"l{n}" for n in range(1, 21)]
    ctx = field.context(lines, 2)
    assert ctx[0].endswith("| l1") and ctx[-1].endswith("| l8")
    assert [c for c in ctx if c.startswith(">")] == [">    2| l2"]
    assert len(field.context(lines, 10)) == 13
    assert field.context(None, 3) == []


def notebook(*cells):
    return {
        "cells": [
            {"cell_type": kind, "metadata": {}, "source": src}
            | ({"outputs": [], "execution_count": None} if kind == "code" else {})
            for kind, src in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_source_lines_reads_the_cell_counted_among_all_cells(tmp_path):
    nb = notebook(("markdown", ["# title"]), ("code", ["a = 1\n", "b = 2\n"]), ("code", "c = 3"))
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb))
    assert field.source_lines(path, 2) == ["a = 1", "b = 2"]
    assert field.source_lines(path, 3) == ["c = 3"]
    assert field.source_lines(path, 9) is None
    assert field.source_lines(tmp_path / "missing.py", None) is None


def test_code_cell_index_renumbered_among_all_cells(tmp_path):
    nb = notebook(("markdown", "x"), ("code", "a"), ("markdown", "y"), ("code", "b"))
    positions = field.code_cell_positions(json.dumps(nb))
    assert positions == [2, 4]
    assert field.to_all_cells(2, positions) == 4
    assert field.to_all_cells(None, positions) is None
    assert field.to_all_cells(7, positions) == 7
    (tmp_path / "n.ipynb").write_text(json.dumps(nb))
    d = diag(path="n.ipynb", cell=2, related=[{"path": "n.ipynb", "line": 1, "cell": 1}])
    out = field.normalise_cells(tmp_path, d, {})
    assert out["cell"] == 4 and out["related"][0]["cell"] == 2
    assert d["cell"] == 2  # the input is left alone


def test_count_code_counts_py_lines_and_notebook_code_cells_only(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n\n\ny = 2\n")
    nb = notebook(("markdown", "# many\nwords\nhere"), ("code", ["p = 1\n", "\n", "q = 2"]))
    (tmp_path / "n.ipynb").write_text(json.dumps(nb))
    (tmp_path / "skip.py").write_text("z = 3\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "h.py").write_text("h = 1\n")
    (tmp_path / "data.txt").write_text("not code\n")
    assert field.count_code(tmp_path) == (3, 5)
    assert field.count_code(tmp_path, skip=["skip.py"]) == (2, 4)


def test_parse_rule_table_marks_preview_rows():
    table = "\n".join(
        [
            "| code | name | severity | summary |",
            "|---|---|---|---|",
            "| PRE001 | fitted | error | Flags a thing. |",
            "| LOAD002 | custom (preview) | error | Flags another. |",
            "| SEED001 | unseeded | warning | Mentions preview mode deep in the summary. |",
        ]
    )
    tiers = field.parse_rule_table(table)
    assert tiers == {"PRE001": "default", "LOAD002": "preview", "SEED001": "preview"}


def test_check_checkout_missing_says_how_to_get_it(tmp_path):
    entry = {"repo": "own/proj", "commit": "a" * 40}
    where, msg = field.check_checkout(tmp_path, entry)
    assert where is None
    assert msg is not None and "git clone" in msg and "a" * 40 in msg
    (tmp_path / "own+proj").mkdir()
    where, msg = field.check_checkout(tmp_path, entry)
    assert where == tmp_path / "own+proj" and msg is None


def test_render_report_lists_tiers_totals_and_gone():
    findings = [
        (field.finding_key("o/r", d), d) for d in (diag(line=1), diag(line=2, code="LOAD002"))
    ]
    labels, _ = field.parse_labels(
        [label_line(line=1, label="TRUE"), label_line(line=7, label="FALSE", note="fixed fp")], "L"
    )
    result = field.score(findings, labels, {"o/r"})
    per_repo = [
        {
            "repo": "o/r",
            "files": 2,
            "lines": 9,
            "findings": 2,
            "SYNTAX": 1,
            "INTERNAL": 0,
            "seconds": 0.5,
        }
    ]
    meta = {"version": "0.1.0", "preview": False, "repos": 1, "files": 2, "lines": 9}
    meta |= {"seconds": 1.0, "jobs": "x", "labels": 2}
    text = field.render_report(result, {"SEED001": "default", "LOAD002": "preview"}, per_repo, meta)
    assert "| SEED001 | default | 1 | 1 | 0 | 0 | 0 | 1.00 |" in text
    assert "| LOAD002 | preview | 1 | 0 | 0 | 0 | 1 | - |" in text
    assert "| **rules on by default** | | 1 | 1 | 0 | 0 | 0 | 1.00 |" in text
    assert "SYNTAX findings (files preplint cannot parse): 1" in text
    assert "SEED001 FALSE o/r a.py:7: fixed fp" in text


@pytest.mark.parametrize("bad", [0, -1])
def test_sample_must_be_positive(bad, capsys):
    with pytest.raises(SystemExit) as exc:
        field.main(["--sample", str(bad)])
    assert exc.value.code == 2
    assert "--sample must be at least 1" in capsys.readouterr().err


def test_worklist_record_carries_cell_and_related_context(tmp_path):
    nb = notebook(
        ("markdown", "# t"),
        ("code", ["m.save('m.h5')\n"]),
        ("code", ["import x\n", "m2 = load('m.h5')\n", "m2(x)\n"]),
    )
    (tmp_path / "n.ipynb").write_text(json.dumps(nb))
    d = diag(
        path="n.ipynb",
        cell=3,
        line=3,
        code="MODE001",
        related=[{"path": "n.ipynb", "cell": 2, "line": 1, "message": "saved here"}],
    )
    rec = field.worklist_record("o/r", tmp_path, d, sampled=True)
    assert rec["context"][-1] == ">    3| m2(x)"
    assert rec["cell_source"][0] == "     1| import x"
    assert rec["related_context"] == [
        {"where": "n.ipynb cell 2:1", "context": [">    1| m.save('m.h5')"]}
    ]
    assert rec["sampled"] is True
    assert rec["file"] == str(tmp_path / "n.ipynb")
    plain = field.worklist_record("o/r", tmp_path, diag(path="n.ipynb", cell=3, line=1), False)
    assert "related_context" not in plain and "sampled" not in plain
    py = tmp_path / "a.py"
    py.write_text("\n".join(f"x{n} = {n}" for n in range(1, 61)))
    rec = field.worklist_record("o/r", tmp_path, diag(line=30), False)
    assert "cell_source" not in rec and len(rec["context"]) == 13
