"""`preplint server` driven as a real subprocess over stdio by a JSON-RPC client."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")

from tests.lsp_client import LspClient, uri  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"

BAD = "import torch\nstate = torch.load('model.pt')\n"
GOOD = "import torch\nstate = torch.load('model.pt', weights_only=True)\n"
SPLIT = (
    "from sklearn.model_selection import train_test_split\n"
    "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "keras_project", tmp_path / "keras_project")
    return tmp_path


@pytest.fixture
def client(project: Path) -> Iterator[LspClient]:
    lsp = LspClient(project)
    try:
        yield lsp
    finally:
        lsp.close()
        assert "Traceback" not in lsp.stderr()


def codes(diagnostics: list[dict[str, Any]]) -> list[str]:
    return sorted(d["code"] for d in diagnostics)


def apply_edits(text: str, edits: list[dict[str, Any]]) -> str:
    """Apply LSP TextEdits (ASCII text: UTF-16 units are characters) from the last to the first."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position: dict[str, int]) -> int:
        return offsets[position["line"]] + position["character"]

    ordered = sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True)
    for edit in ordered:
        start, end = offset(edit["range"]["start"]), offset(edit["range"]["end"])
        text = text[:start] + edit["newText"] + text[end:]
    return text


def round_trip(client: LspClient, path: Path) -> None:
    """A request answered after every notification sent before it has been handled."""
    client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri(path)}, "position": {"line": 0, "character": 0}},
    )


def pending_diagnostics(client: LspClient, path: Path) -> list[Any]:
    found = []
    while not client.notifications.empty():
        message = client.notifications.get()
        if message.get("method") == "textDocument/publishDiagnostics" and message["params"][
            "uri"
        ] == uri(path):
            found.append(message)
    return found


def test_diagnostics_match_the_command_line(project: Path, client: LspClient) -> None:
    predict = project / "keras_project" / "predict.py"
    client.open(predict)
    published = client.diagnostics_for(predict, version=1)
    cli = subprocess.run(
        [sys.executable, "-m", "preplint", "check", "--no-cache", "--format", "json", str(predict)],
        cwd=project,
        capture_output=True,
    )
    expected = json.loads(cli.stdout)["diagnostics"]
    assert expected and codes(published) == codes(expected)
    by_code = {d["code"]: d for d in published}
    for want in expected:
        got = by_code[want["code"]]
        assert got["source"] == "preplint"
        assert got["message"] == want["message"]
        assert got["range"]["start"] == {"line": want["line"] - 1, "character": want["column"] - 1}
        assert got["range"]["end"] == {
            "line": want["end_line"] - 1,
            "character": want["end_column"] - 1,
        }
        assert got["severity"] == {"error": 1, "warning": 2, "info": 3}[want["severity"]]
        assert got["codeDescription"]["href"].endswith(f"docs/rules/{want['code']}.md")
    load = by_code["LOAD001"]
    saved_here = [r for r in load["relatedInformation"] if r["message"] == "model saved here"]
    assert saved_here[0]["location"]["uri"] == uri(project / "keras_project" / "train.py")
    assert saved_here[0]["location"]["range"]["start"]["line"] == 33  # train.py:34


def test_diagnostics_disappear_after_an_edit_that_fixes_them(
    project: Path, client: LspClient
) -> None:
    script = project / "script.py"
    script.write_text(GOOD, encoding="utf-8")
    client.open(script, text=BAD)  # the unsaved buffer is what counts, not the file
    assert codes(client.diagnostics_for(script, version=1))
    client.change(script, GOOD, version=2)
    assert client.diagnostics_for(script, version=2) == []
    client.change(script, BAD, version=3)
    assert codes(client.diagnostics_for(script, version=3))


def test_a_code_action_applies_a_fix(project: Path, client: LspClient) -> None:
    predict = project / "keras_project" / "predict.py"
    text = predict.read_text(encoding="utf-8")
    client.open(predict, text=text)
    published = client.diagnostics_for(predict, version=1)
    load = next(d for d in published if d["code"] == "LOAD001")
    actions = client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri(predict)},
            "range": load["range"],
            "context": {"diagnostics": [load], "only": ["quickfix"]},
        },
    )
    fix = next(a for a in actions if "LOAD001" in a["title"])
    assert fix["kind"] == "quickfix" and fix["isPreferred"] is True
    assert fix["diagnostics"][0]["code"] == "LOAD001"
    fixed = apply_edits(text, fix["edit"]["changes"][uri(predict)])
    assert "custom_objects" in fixed and fixed != text
    client.change(predict, fixed, version=2)
    after = client.diagnostics_for(predict, version=2)
    assert "LOAD001" not in codes(after)
    assert set(codes(after)) == set(codes(published)) - {"LOAD001"}


def test_unsafe_fixes_are_offered_but_not_preferred(project: Path, client: LspClient) -> None:
    script = project / "split.py"
    client.open(script, text=SPLIT)
    seed = next(d for d in client.diagnostics_for(script) if d["code"].startswith("SEED"))
    actions = client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri(script)},
            "range": seed["range"],
            "context": {"diagnostics": [seed]},
        },
    )
    quick = [a for a in actions if a["kind"] == "quickfix"]
    assert quick and quick[0]["isPreferred"] is False and "unsafe" in quick[0]["title"]
    # Fix-all takes safe fixes only: nothing here.
    assert not [a for a in actions if a["kind"].startswith("source.fixAll")]


def test_fix_all_combines_safe_fixes(project: Path, client: LspClient) -> None:
    predict = project / "keras_project" / "predict.py"
    text = predict.read_text(encoding="utf-8")
    client.open(predict, text=text)
    client.diagnostics_for(predict)
    actions = client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri(predict)},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": [], "only": ["source.fixAll"]},
        },
    )
    assert [a["kind"] for a in actions] == ["source.fixAll.preplint"]
    fixed = apply_edits(text, actions[0]["edit"]["changes"][uri(predict)])
    client.change(predict, fixed, version=2)
    assert "LOAD001" not in codes(client.diagnostics_for(predict, version=2))


def test_hover_over_a_diagnostic_shows_the_rule_docs(project: Path, client: LspClient) -> None:
    predict = project / "keras_project" / "predict.py"
    client.open(predict)
    load = next(d for d in client.diagnostics_for(predict) if d["code"] == "LOAD001")
    hover = client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri(predict)}, "position": load["range"]["start"]},
    )
    assert hover["contents"]["kind"] == "markdown"
    assert hover["contents"]["value"].startswith("# LOAD001")
    assert "## Why is this bad?" in hover["contents"]["value"]
    nothing = client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri(predict)}, "position": {"line": 0, "character": 0}},
    )
    assert nothing is None


def test_editing_the_partner_relints_the_open_document(project: Path, client: LspClient) -> None:
    predict = project / "keras_project" / "predict.py"
    train = project / "keras_project" / "train.py"
    client.open(predict)
    assert "PRE003" in codes(client.diagnostics_for(predict))
    client.open(train)
    client.diagnostics_for(train)
    # Unsaved: training now saves its model elsewhere, so predict.py loads another artifact.
    edited = train.read_text().replace("model.save(MODEL_PATH)", 'model.save("elsewhere.keras")')
    client.change(train, edited, version=2)
    assert "PRE003" not in codes(client.diagnostics_for(predict))
    # Undo in the buffer: the finding is back.
    client.change(train, train.read_text(), version=3)
    assert "PRE003" in codes(client.diagnostics_for(predict))


def test_a_watched_partner_change_on_disk_relints(project: Path, client: LspClient) -> None:
    predict = project / "keras_project" / "predict.py"
    train = project / "keras_project" / "train.py"
    client.open(predict)
    assert "PRE003" in codes(client.diagnostics_for(predict))
    # A file elsewhere changes: predict.py is not linted again.
    elsewhere = project / "other" / "tool.py"
    elsewhere.parent.mkdir()
    elsewhere.write_text("x = 1\n")
    client.notify(
        "workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(elsewhere), "type": 1}]}
    )
    round_trip(client, predict)
    assert pending_diagnostics(client, predict) == []
    train.write_text(
        train.read_text().replace("model.save(MODEL_PATH)", 'model.save("elsewhere.keras")')
    )
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(train), "type": 2}]})
    assert "PRE003" not in codes(client.diagnostics_for(predict))


def test_config_comes_from_the_workspace_pyproject(project: Path, client: LspClient) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text('[tool.preplint]\nignore = ["SAFE"]\n')
    script = project / "script.py"
    client.open(script, text=BAD)
    assert client.diagnostics_for(script) == []
    pyproject.write_text("[tool.preplint]\nignore = []\n")
    client.notify(
        "workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(pyproject), "type": 2}]}
    )
    assert codes(client.diagnostics_for(script))


def test_a_bad_config_is_shown_and_linting_goes_on(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.preplint]\nselectt = ["PRE"]\n')
    lsp = LspClient(project)
    try:
        script = project / "script.py"
        lsp.open(script, text=BAD)
        shown = lsp.wait_for(lambda m: m.get("method") == "window/showMessage")
        assert "selectt" in shown["params"]["message"]
        assert codes(lsp.diagnostics_for(script))
    finally:
        lsp.close()


def test_closing_a_document_clears_its_diagnostics(project: Path, client: LspClient) -> None:
    script = project / "script.py"
    client.open(script, text=BAD)
    assert codes(client.diagnostics_for(script))
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri(script)}})
    assert client.diagnostics_for(script) == []


def test_server_without_pygls_says_how_to_install_it(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['pygls'] = None; sys.modules['pygls.lsp.server'] = None\n"
        "from preplint.cli import main; main(['server'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, env=dict(os.environ)
    )
    assert result.returncode == 2
    assert b"preplint[lsp]" in result.stderr


def test_positions_are_in_utf16_units(project: Path, client: LspClient) -> None:
    script = project / "wide.py"
    line = "import torch; note = '😀 ü'; state = torch.load('model.pt')"
    client.open(script, text=line + "\n")
    found = client.diagnostics_for(script)
    assert found
    column = line.index("torch.load")
    # The emoji takes two UTF-16 code units: one more than its one code point.
    assert found[0]["range"]["start"] == {"line": 0, "character": column + 1}


def test_fast_typing_ends_with_the_newest_version_linted(project: Path, client: LspClient) -> None:
    script = project / "script.py"
    client.open(script, text=BAD)
    assert codes(client.diagnostics_for(script, version=1))
    for version in range(2, 8):
        client.change(script, BAD + f"x = {version}\n", version=version)
    client.change(script, GOOD, version=8)
    assert client.diagnostics_for(script, version=8) == []
