"""MODE findings beyond where they fire: the fixes MODE001 offers and the severity it picks."""

from __future__ import annotations

from preplint.config import Config
from preplint.engine import lint_sources
from tests.helpers import as_project, lint

NET = """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, n_in=8, n_out=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(32, n_out)

    def forward(self, x):
        return self.head(self.body(x))
"""


def test_mode001_fix_inserts_eval_after_the_load() -> None:
    example = (
        NET
        + """
model = Net()
model.load_state_dict(torch.load("net.pt", weights_only=True))
with torch.no_grad():
    out = model(torch.randn(2, 8))
"""
    )
    (finding,) = [d for d in lint(example) if d.code == "MODE001"]
    assert finding.fix is not None
    (edit,) = finding.fix.edits
    lines = as_project(example)["example.py"].splitlines()
    load_line = next(i for i, text in enumerate(lines, 1) if "load_state_dict" in text)
    assert (edit.line, edit.column, edit.end_line, edit.end_column) == (
        load_line + 1,
        1,
        load_line + 1,
        1,
    )
    assert edit.replacement == "model.eval()\n"
    assert finding.artifact == "net.pt"


def test_mode001_fix_inside_a_helper_keeps_its_indentation() -> None:
    example = (
        NET
        + """
def load_model(path):
    m = Net()
    m.load_state_dict(
        torch.load(path, weights_only=True)
    )
    return m

with torch.no_grad():
    out = load_model("w/net.pt")(torch.randn(2, 8))
    model = load_model("w/net.pt")
    out = model(torch.randn(2, 8))
"""
    )
    findings = [d for d in lint(example) if d.code == "MODE001"]
    assert len(findings) == 1
    (edit,) = findings[0].fix.edits  # type: ignore[union-attr]
    lines = as_project(example)["example.py"].splitlines()
    close = next(i for i, text in enumerate(lines, 1) if text == "    )")
    assert edit.line == close + 1 and edit.replacement == "    m.eval()\n"
    assert findings[0].artifact == "w/net.pt"


def test_mode001_class_without_dropout_or_batchnorm_is_preview_info() -> None:
    example = """
import torch
from torch import nn

class Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, x):
        return self.fc(x)

model = Linear()
model.load_state_dict(torch.load("lin.pt", weights_only=True))
with torch.no_grad():
    y = model(torch.randn(1, 4))
"""
    # Outputs match in both modes: only a style hint, in preview at info severity.
    assert [d for d in lint(example) if d.code == "MODE001"] == []
    report = lint_sources(as_project(example), Config(preview=True))
    (finding,) = [d for d in report.diagnostics if d.code == "MODE001"]
    assert (finding.severity.label, finding.preview) == ("info", True)
    assert "no Dropout or BatchNorm" in finding.message


# Positives on the edge of the narrowed MODE006 and MODE004 (per-model BatchNorm) checks.
