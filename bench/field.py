"""Score preplint on a field corpus: public ML code that nobody on the project wrote.

Runs ``preplint check`` over each repository of ``bench/field/MANIFEST.json`` (local
checkouts under ``--root``), matches every finding with the hand labels in
``bench/field/labels/<FAMILY>.jsonl`` and writes the per-rule precision table to
``bench/FIELD.md``. ``--worklist FILE`` writes the unlabelled findings, with source
context, for labelling. Standard library only; preplint runs as a subprocess.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
FIELD_DIR = BENCH / "field"
MANIFEST = FIELD_DIR / "MANIFEST.json"
LABELS_DIR = FIELD_DIR / "labels"
REPORT = BENCH / "FIELD.md"
DEFAULT_ROOT = "/work/field-corpus"
FAMILIES = ("PRE", "LOAD", "MODE", "DTYPE", "SEED", "SAFE", "ENV")
LABEL_VALUES = ("TRUE", "DEBATABLE", "FALSE")
SKIPPED_CODES = ("SYNTAX", "INTERNAL")
CONTEXT_LINES = 6
RELATED_LINES = 3
WHOLE_CELL_LINES = 40

Key = tuple[str, str, int | None, int, str]


# ----------------------------------------------------------------------------- pure logic


def repo_dir_name(repo: str) -> str:
    """``owner/name`` -> ``owner+name``, the checkout folder under the corpus root."""
    return repo.replace("/", "+")


def family_of(code: str) -> str | None:
    """The family prefix of a rule code (``LOAD003`` -> ``LOAD``), or None."""
    m = re.fullmatch(r"([A-Z]+)\d+", code)
    if m and m.group(1) in FAMILIES:
        return m.group(1)
    return None


def finding_key(repo: str, d: dict[str, Any]) -> Key:
    """The key a label matches: repo, path, notebook cell (None for .py), line, code."""
    cell = d.get("cell")
    return (
        repo,
        str(d["path"]),
        int(cell) if cell is not None else None,
        int(d["line"]),
        d["code"],
    )


def sample_rank(key: Key) -> str:
    """A stable hash of a finding's key: the order in which ``--sample`` picks findings."""
    repo, path, cell, line, code = key
    text = f"{repo}|{path}|{'' if cell is None else cell}|{line}|{code}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def choose_sample(keys: Iterable[Key], n: int) -> set[Key]:
    """Per rule, the ``n`` keys of lowest hash; rules with at most ``n`` keys are kept whole."""
    by_code: dict[str, list[Key]] = defaultdict(list)
    for k in set(keys):
        by_code[k[4]].append(k)
    chosen: set[Key] = set()
    for ks in by_code.values():
        ks.sort(key=sample_rank)
        chosen.update(ks[:n])
    return chosen


def parse_labels(lines: Iterable[str], source: str) -> tuple[dict[Key, dict[str, Any]], list[str]]:
    """Read label JSONL; return the labels by key and one message per bad line.

    A bad line is reported and skipped; a second label for the same key replaces the
    first, and is reported too.
    """
    labels: dict[Key, dict[str, Any]] = {}
    problems: list[str] = []
    for n, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text:
            continue
        where = f"{source}:{n}"
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{where}: not a JSON object")
            continue
        missing = [f for f in ("repo", "path", "line", "code", "label") if f not in obj]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if obj["label"] not in LABEL_VALUES:
            problems.append(
                f"{where}: label {obj['label']!r} is not one of {', '.join(LABEL_VALUES)}"
            )
            continue
        try:
            key = finding_key(obj["repo"], obj)
        except (TypeError, ValueError):
            problems.append(f"{where}: line and cell must be integers")
            continue
        if key in labels:
            problems.append(
                f"{where}: a second label for {key[1]}:{key[3]} {key[4]}; the last wins"
            )
        labels[key] = obj
    return labels, problems


def load_labels(labels_dir: Path) -> tuple[dict[Key, dict[str, Any]], list[str]]:
    labels: dict[Key, dict[str, Any]] = {}
    problems: list[str] = []
    for fam in FAMILIES:
        path = labels_dir / f"{fam}.jsonl"
        if not path.is_file():
            continue
        got, probs = parse_labels(path.read_text(encoding="utf-8").splitlines(), str(path))
        for key in got:
            if family_of(key[4]) != fam:
                probs.append(f"{path}: label for {key[4]} belongs in {family_of(key[4])}.jsonl")
        labels.update(got)
        problems.extend(probs)
    return labels, problems


PREVIEW_SUFFIX = "+preview"


def precision(true: int, false: int) -> float | None:
    return true / (true + false) if true + false else None


def score(
    findings: list[tuple[Key, dict[str, Any]]],
    labels: dict[Key, dict[str, Any]],
    repos_run: set[str],
    sample: set[Key] | None = None,
) -> dict[str, Any]:
    """Count findings and labels per rule.

    ``findings`` holds (key, diagnostic) pairs; several findings may share a key (same
    line, different columns) and then share its label. Labels of repositories that were
    run but whose finding is no longer reported are "gone".
    """
    rules: dict[str, Counter[str]] = defaultdict(Counter)
    seen: set[Key] = set()
    for key, d in findings:
        # A finding from a rule (or a part of one) in preview is counted apart from the default tier.
        code = key[4] + PREVIEW_SUFFIX if d.get("preview") else key[4]
        c = rules[code]
        c["findings"] += 1
        lab = labels.get(key)
        if lab is not None:
            c[lab["label"]] += 1
            if lab.get("sampled"):
                c["sampled"] += 1
        elif sample is not None and key not in sample:
            c["outside_sample"] += 1
        else:
            c["unlabelled"] += 1
        seen.add(key)
    gone = [
        lab
        for key, lab in sorted(labels.items(), key=lambda kv: _sort_key(kv[0]))
        if key[0] in repos_run and key not in seen
    ]
    return {"rules": rules, "gone": gone}


def _sort_key(key: Key) -> tuple[str, str, int, int, str]:
    repo, path, cell, line, code = key
    return (repo, path, -1 if cell is None else cell, line, code)


def source_lines(path: Path, cell: int | None) -> list[str] | None:
    """The lines of a .py file, or of one notebook cell (1-based among all cells)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if cell is None:
        return text.splitlines()
    try:
        nb = json.loads(text)
        src = nb["cells"][cell - 1]["source"]
    except (json.JSONDecodeError, KeyError, IndexError, TypeError):
        return None
    if isinstance(src, list):
        src = "".join(src)
    return str(src).splitlines()


def code_cell_positions(nb_text: str) -> list[int]:
    """The 1-based positions, among all cells, of a notebook's code cells."""
    try:
        cells = json.loads(nb_text).get("cells", [])
    except (json.JSONDecodeError, AttributeError):
        return []
    return [
        i for i, c in enumerate(cells, 1) if isinstance(c, dict) and c.get("cell_type") == "code"
    ]


def to_all_cells(cell: int | None, positions: list[int]) -> int | None:
    """A code-cell index (1-based among code cells) as an index among all cells."""
    if cell is None or not 1 <= cell <= len(positions):
        return cell
    return positions[cell - 1]


def context(lines: list[str] | None, line: int, around: int = CONTEXT_LINES) -> list[str]:
    """Numbered source lines around ``line``; that line is marked with ``>``."""
    if not lines:
        return []
    lo = max(1, line - around)
    hi = min(len(lines), line + around)
    return [f"{'>' if n == line else ' '}{n:5d}| {lines[n - 1]}" for n in range(lo, hi + 1)]


def count_code(root: Path, skip: Iterable[str] = ()) -> tuple[int, int]:
    """Files (.py, .ipynb) and non-blank code lines (notebook code cells only) under root."""
    skipped = set(skip)
    files = lines = 0
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".py", ".ipynb") or not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if rel in skipped or any(part.startswith(".") for part in Path(rel).parts):
            continue
        files += 1
        if path.suffix == ".py":
            body = path.read_text(encoding="utf-8", errors="replace").splitlines()
        else:
            try:
                nb = json.loads(path.read_text(encoding="utf-8", errors="replace"))
                cells = nb.get("cells", []) if isinstance(nb, dict) else []
            except json.JSONDecodeError:
                cells = []
            body = []
            for c in cells:
                if isinstance(c, dict) and c.get("cell_type") == "code":
                    src = c.get("source", "")
                    body.extend(("".join(src) if isinstance(src, list) else str(src)).splitlines())
        lines += sum(1 for ln in body if ln.strip())
    return files, lines


def parse_rule_table(markdown: str) -> dict[str, str]:
    """Rule code -> "preview" or "default", from the table ``preplint rule`` prints.

    A rule is preview when its row says so (a "preview" column, status or word);
    everything else is on by default.
    """
    tiers: dict[str, str] = {}
    for row in markdown.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if not cells or not re.fullmatch(r"[A-Z]+\d+", cells[0]):
            continue
        head = " ".join(cells[1:4]).lower()
        tiers[cells[0]] = "preview" if re.search(r"\bpreview\b", head) else "default"
    return tiers


# ----------------------------------------------------------------------------- running


def load_manifest(path: Path = MANIFEST) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return list(data["repositories"])


def check_checkout(root: Path, entry: dict[str, Any]) -> tuple[Path | None, str | None]:
    """The checkout of one manifest entry, or None and how to obtain it."""
    repo, commit = entry["repo"], entry["commit"]
    where = root / repo_dir_name(repo)
    how = f"git clone https://github.com/{repo}.git {where} && git -C {where} checkout {commit}"
    if not where.is_dir():
        return None, f"{repo}: no checkout at {where}; to get it: {how}"
    if (where / ".git").exists():
        try:
            head = subprocess.run(
                ["git", "-C", str(where), "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return where, f"{repo}: cannot read the commit of {where}; scoring it as it is"
        if head != commit:
            return None, (
                f"{repo}: {where} is at {head[:12]}, the manifest pins {commit[:12]}; "
                f"run: git -C {where} checkout {commit}"
            )
    return where, None


def preplint_help() -> str:
    r = subprocess.run(
        [sys.executable, "-m", "preplint", "check", "--help"], capture_output=True, text=True
    )
    return r.stdout


def preplint_rules() -> dict[str, str]:
    r = subprocess.run([sys.executable, "-m", "preplint", "rule"], capture_output=True, text=True)
    return parse_rule_table(r.stdout)


def preplint_version() -> str:
    r = subprocess.run(
        [sys.executable, "-m", "preplint", "--version"], capture_output=True, text=True
    )
    words = r.stdout.split()
    return words[-1] if words else "unknown"


PROBE_NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# probe"]},
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": ["import torch\n", "torch.load('m.pt')\n"],
        },
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def probe_cell_numbering() -> str:
    """How this preplint numbers notebook cells: "all" (the spec) or "code" (code cells only).

    Lints a two-cell notebook (markdown, then a `torch.load`) and reads the cell reported.
    """
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "probe.ipynb").write_text(json.dumps(PROBE_NOTEBOOK), encoding="utf-8")
        r = subprocess.run(
            [sys.executable, "-m", "preplint", "check", "--no-cache", "--format", "json"]
            + ["--exit-zero", "--select", "SAFE001", "probe.ipynb"],
            cwd=tmp,
            capture_output=True,
            text=True,
        )
    try:
        cells = {d.get("cell") for d in json.loads(r.stdout)["diagnostics"]}
    except (json.JSONDecodeError, KeyError, TypeError):
        cells = set()
    return "code" if cells == {1} else "all"


def normalise_cells(where: Path, d: dict[str, Any], cache: dict[str, list[int]]) -> dict[str, Any]:
    """The diagnostic with its cell numbers (its own and its related ones) counted among all
    cells, for a preplint that counts code cells only."""

    def positions(rel: str) -> list[int]:
        if rel not in cache:
            try:
                cache[rel] = code_cell_positions((where / rel).read_text(encoding="utf-8"))
            except OSError:
                cache[rel] = []
        return cache[rel]

    d = dict(d)
    if d.get("cell") is not None:
        d["cell"] = to_all_cells(int(d["cell"]), positions(str(d["path"])))
    related = []
    for r in d.get("related") or []:
        if isinstance(r, dict) and r.get("cell") is not None:
            r = dict(r)
            r["cell"] = to_all_cells(int(r["cell"]), positions(str(r.get("path", d["path"]))))
        related.append(r)
    if related:
        d["related"] = related
    return d


def run_repo(where: Path, preview: bool) -> tuple[list[dict[str, Any]], str | None, float]:
    """preplint's diagnostics for one checkout, an error message or None, seconds taken."""
    cmd = [sys.executable, "-m", "preplint", "check", "--no-cache", "--format", "json"]
    cmd += ["--exit-zero", "--select", "ALL"]
    if preview:
        cmd.append("--preview")
    cmd.append(".")
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=where, capture_output=True, text=True)
    took = time.perf_counter() - t0
    try:
        doc = json.loads(r.stdout)
    except json.JSONDecodeError:
        err = (r.stderr.strip().splitlines() or ["no output"])[-1]
        return [], f"exit {r.returncode}, no JSON on stdout: {err}", took
    error = None if r.returncode == 0 else f"exit {r.returncode}: {r.stderr.strip()[-300:]}"
    return list(doc.get("diagnostics", [])), error, took


# ----------------------------------------------------------------------------- output


def worklist_record(repo: str, where: Path, d: dict[str, Any], sampled: bool) -> dict[str, Any]:
    cell = d.get("cell")
    lines = source_lines(where / d["path"], cell)
    rec: dict[str, Any] = {
        "repo": repo,
        "path": d["path"],
        "line": d["line"],
        "column": d.get("column"),
        "cell": cell,
        "code": d["code"],
        "name": d.get("name"),
        "severity": d.get("severity"),
        "message": d.get("message"),
        "related": d.get("related") or [],
        "context": context(lines, int(d["line"])),
        "file": str(where / d["path"]),
    }
    if cell is not None and lines and len(lines) <= WHOLE_CELL_LINES:
        rec["cell_source"] = context(lines, int(d["line"]), around=len(lines))
    rel_ctx = []
    for r in rec["related"]:
        if not isinstance(r, dict) or "line" not in r:
            continue
        r_lines = source_lines(where / str(r.get("path", d["path"])), r.get("cell"))
        rel_ctx.append(
            {
                "where": f"{r.get('path', d['path'])}"
                + (f" cell {r['cell']}" if r.get("cell") is not None else "")
                + f":{r['line']}",
                "context": context(r_lines, int(r["line"]), around=RELATED_LINES),
            }
        )
    if rel_ctx:
        rec["related_context"] = rel_ctx
    if sampled:
        rec["sampled"] = True
    return rec


def _fmt_p(p: float | None) -> str:
    return "-" if p is None else f"{p:.2f}"


def render_report(
    result: dict[str, Any],
    tiers: dict[str, str],
    per_repo: list[dict[str, Any]],
    meta: dict[str, Any],
) -> str:
    rules: dict[str, Counter[str]] = result["rules"]
    codes = sorted(
        set(rules) | set(tiers),
        key=lambda c: (FAMILIES.index(family_of(c.removesuffix(PREVIEW_SUFFIX)) or "ENV"), c),
    )
    out = [
        "# preplint on the field corpus",
        "",
        "Written by `python bench/field.py`; see the end of this file for how to run it and label.",
        "",
        f"- preplint: {meta['version']}{' with --preview' if meta['preview'] else ''}",
        f"- corpus: {meta['repos']} repositories, {meta['files']} files (.py, .ipynb), "
        f"{meta['lines']} non-blank code lines",
        f"- run time: {meta['seconds']:.0f} s for the whole corpus ({meta['jobs']})",
        f"- labels read: {meta['labels']}",
        f"- notebook cells: {CELL_NOTE[meta.get('numbering', 'all')]}",
        "",
        "Precision is TRUE / (TRUE + FALSE); DEBATABLE counts in neither.",
        "",
        "| rule | tier | findings | TRUE | DEBATABLE | FALSE | unlabelled | precision | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    tot: Counter[str] = Counter()
    dflt: Counter[str] = Counter()
    for code in codes:
        c = rules.get(code, Counter())
        if code.endswith(PREVIEW_SUFFIX):
            code = code.removesuffix(PREVIEW_SUFFIX)
            tier = "preview" if tiers.get(code) == "preview" else "preview part"
        else:
            tier = tiers.get(code, "default")
            if tier == "preview" and code + PREVIEW_SUFFIX in rules:
                continue  # its findings are all counted in its preview row
        note = []
        if c["sampled"] or c["outside_sample"]:
            labelled = c["TRUE"] + c["DEBATABLE"] + c["FALSE"]
            note.append(f"sampled: {labelled} of {c['findings']} labelled")
        if c["outside_sample"]:
            note.append(f"{c['outside_sample']} outside the sample")
        out.append(
            f"| {code} | {tier} | {c['findings']} | {c['TRUE']} | {c['DEBATABLE']} | {c['FALSE']} "
            f"| {c['unlabelled']} | {_fmt_p(precision(c['TRUE'], c['FALSE']))} | {'; '.join(note)} |"
        )
        tot.update(c)
        if tier == "default":
            dflt.update(c)
    for name, c in (("all rules", tot), ("rules on by default", dflt)):
        out.append(
            f"| **{name}** | | {c['findings']} | {c['TRUE']} | {c['DEBATABLE']} | {c['FALSE']} "
            f"| {c['unlabelled']} | {_fmt_p(precision(c['TRUE'], c['FALSE']))} | |"
        )
    out += [
        "",
        "## Per repository",
        "",
        "| repository | files | lines | findings | SYNTAX | INTERNAL | seconds | problem |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in per_repo:
        out.append(
            f"| {r['repo']} | {r.get('files', '-')} | {r.get('lines', '-')} | {r['findings']} "
            f"| {r['SYNTAX']} | {r['INTERNAL']} | {r['seconds']:.1f} | {r.get('problem') or ''} |"
        )
    syn = sum(r["SYNTAX"] for r in per_repo)
    internal = sum(r["INTERNAL"] for r in per_repo)
    out += ["", f"SYNTAX findings (files preplint cannot parse): {syn}; INTERNAL: {internal}.", ""]
    gone = result["gone"]
    out += ["## Gone labels", ""]
    if gone:
        out.append(
            "Labelled findings that preplint no longer reports: a FALSE here is a fixed false "
            "positive, a TRUE a lost true positive."
        )
        out.append("")
        for lab in gone:
            where = f"{lab['path']}" + (
                f" cell {lab['cell']}" if lab.get("cell") is not None else ""
            )
            out.append(
                f"- {lab['code']} {lab['label']} {lab['repo']} {where}:{lab['line']}: {lab.get('note', '')}"
            )
    else:
        out.append("None.")
    out += ["", HOWTO.strip(), ""]
    return "\n".join(out)


CELL_NOTE = {
    "all": "numbered among all cells, as preplint reports them",
    "code": "preplint numbered them among code cells only; renumbered here among all cells",
}

HOWTO = """
## How to run and label

```sh
python bench/field.py                      # run, print the table, write bench/FIELD.md
python bench/field.py --worklist out.jsonl # also write unlabelled findings (+ out-<FAMILY>.jsonl)
python bench/field.py --sample 40          # label at most 40 findings per rule (hash-chosen)
python bench/field.py --repo owner/name    # only some repositories (FIELD.md is not written)
```

The corpus is the list in `bench/field/MANIFEST.json`, one checkout per repository at
`<root>/<owner>+<name>/` (`--root`, `PREPLINT_FIELD_ROOT`, default `/work/field-corpus`),
at the pinned commit. Files listed under `absent` in the manifest were missing from the
snapshot the corpus was built from; their findings are ignored, so a full clone scores the same.

A label is one line of `bench/field/labels/<FAMILY>.jsonl`:
`{"repo", "path", "line", "code", "label", "note", "message"}`, plus `"cell"` for notebook
findings and `"sampled": true` when the finding was picked by `--sample`. Copy these fields
from the worklist record, set `label` to TRUE (a mistake the maintainer would want fixed),
DEBATABLE or FALSE, and write one sentence in `note`. Labels match findings by
(repo, path, cell, line, code).
"""


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.environ.get("PREPLINT_FIELD_ROOT", DEFAULT_ROOT))
    ap.add_argument("--manifest", default=str(MANIFEST))
    ap.add_argument("--labels", default=str(LABELS_DIR))
    ap.add_argument("--output", default=None, help="report path (default bench/FIELD.md)")
    ap.add_argument("--worklist", default=None, help="write unlabelled findings as JSONL here")
    ap.add_argument("--sample", type=int, default=None, help="at most N findings per rule")
    ap.add_argument("--repo", action="append", default=[], help="only this owner/name")
    ap.add_argument("--raw-dir", default=None, help="keep each repository's JSON output here")
    args = ap.parse_args(argv)
    if args.sample is not None and args.sample < 1:
        ap.error("--sample must be at least 1")

    root = Path(args.root)
    try:
        manifest = load_manifest(Path(args.manifest))
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        print(f"cannot read the manifest {args.manifest}: {exc}", file=sys.stderr)
        return 2
    if args.repo:
        known = {e["repo"] for e in manifest}
        for r in args.repo:
            if r not in known:
                print(f"{r} is not in the manifest", file=sys.stderr)
        manifest = [e for e in manifest if e["repo"] in args.repo]

    labels, problems = load_labels(Path(args.labels))
    for p in problems:
        print(f"labels: {p}", file=sys.stderr)

    preview = "--preview" in preplint_help()
    tiers = preplint_rules()
    numbering = probe_cell_numbering()
    if numbering == "code":
        print(
            "note: this preplint numbers notebook cells among code cells only; "
            "field.py renumbers them among all cells, as the JSON interface specifies",
            file=sys.stderr,
        )
    findings: list[tuple[Key, dict[str, Any]]] = []
    where_of: dict[str, Path] = {}
    per_repo: list[dict[str, Any]] = []
    repos_run: set[str] = set()
    missing = 0
    t_all = time.perf_counter()
    for entry in manifest:
        repo = entry["repo"]
        where, msg = check_checkout(root, entry)
        if msg:
            print(msg, file=sys.stderr)
        if where is None:
            missing += 1
            continue
        diags, error, took = run_repo(where, preview)
        if error:
            print(f"{repo}: preplint failed: {error}", file=sys.stderr)
        if args.raw_dir:
            Path(args.raw_dir).mkdir(parents=True, exist_ok=True)
            raw = Path(args.raw_dir) / f"{repo_dir_name(repo)}.json"
            raw.write_text(json.dumps(diags, indent=1), encoding="utf-8")
        absent = set(entry.get("absent", []))
        cell_cache: dict[str, list[int]] = {}
        skipped: Counter[str] = Counter()
        kept = 0
        for d in diags:
            if d.get("path") in absent:
                continue
            if d.get("code") in SKIPPED_CODES or family_of(str(d.get("code"))) is None:
                skipped[str(d.get("code"))] += 1
                continue
            if numbering == "code":
                d = normalise_cells(where, d, cell_cache)
            findings.append((finding_key(repo, d), d))
            kept += 1
        repos_run.add(repo)
        where_of[repo] = where
        per_repo.append(
            {
                "repo": repo,
                "files": entry.get("files"),
                "lines": entry.get("lines"),
                "findings": kept,
                "SYNTAX": skipped["SYNTAX"],
                "INTERNAL": skipped["INTERNAL"],
                "seconds": took,
                "problem": error,
            }
        )
        print(f"{repo}: {kept} findings, {took:.1f} s", file=sys.stderr)
    seconds = time.perf_counter() - t_all

    sample = choose_sample((k for k, _ in findings), args.sample) if args.sample else None
    result = score(findings, labels, repos_run, sample)
    meta = {
        "version": preplint_version(),
        "preview": preview,
        "repos": len(per_repo),
        "files": sum(int(r["files"] or 0) for r in per_repo),
        "lines": sum(int(r["lines"] or 0) for r in per_repo),
        "seconds": seconds,
        "jobs": f"{os.cpu_count()} cores, default --jobs, one repository at a time",
        "labels": len(labels),
        "numbering": numbering,
    }
    text = render_report(result, tiers, per_repo, meta)
    print(text)
    partial = bool(args.repo) or missing > 0
    if args.output or not partial:
        out = Path(args.output) if args.output else REPORT
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    else:
        print(
            "partial run: bench/FIELD.md not written (give --output to write it)", file=sys.stderr
        )

    if args.worklist:
        write_worklists(Path(args.worklist), findings, labels, sample, where_of)
    return 2 if missing == len(manifest) and manifest else 0


def write_worklists(
    path: Path,
    findings: list[tuple[Key, dict[str, Any]]],
    labels: dict[Key, dict[str, Any]],
    sample: set[Key] | None,
    where_of: dict[str, Path],
) -> None:
    """All unlabelled findings (inside the sample) to ``path``, and one file per family."""
    records: list[dict[str, Any]] = []
    for key, d in findings:
        if key in labels or (sample is not None and key not in sample):
            continue
        records.append(worklist_record(key[0], where_of[key[0]], d, sample is not None))
    path.parent.mkdir(parents=True, exist_ok=True)
    by_family: dict[str, list[str]] = defaultdict(list)
    with path.open("w", encoding="utf-8") as f:
        for rec in records:
            line = json.dumps(rec, ensure_ascii=False)
            f.write(line + "\n")
            by_family[family_of(rec["code"]) or "OTHER"].append(line)
    stem, suffix = path.stem, path.suffix or ".jsonl"
    for fam in FAMILIES:
        fam_path = path.with_name(f"{stem}-{fam}{suffix}")
        fam_path.write_text("".join(x + "\n" for x in by_family.get(fam, [])), encoding="utf-8")
    print(f"wrote {len(records)} unlabelled findings to {path} (+ per family)", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
