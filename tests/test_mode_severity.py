"""MODE rules: severity follows the layers seen, and the parts in preview appear only with preview on."""

from __future__ import annotations

import textwrap

from preplint.config import Config
from preplint.diagnostics import Diagnostic, Severity
from preplint.engine import lint_sources

NET_WITH_DROPOUT = """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 2))

    def forward(self, x):
        return self.body(x)
"""

NET_PLAIN = """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))

    def forward(self, x):
        return self.body(x)
"""

RUN_LOADED = """
net = Net()
net.load_state_dict(torch.load("net.pt", weights_only=True))
with torch.no_grad():
    out = net(torch.randn(2, 8))
"""


def _line_of(source: str, text: str) -> int:
    """1-based line of the first line containing `text`, as linted (leading newlines stripped)."""
    lines = textwrap.dedent(source).lstrip("\n").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def _lint(sources: dict[str, str], preview: bool, code: str) -> list[Diagnostic]:
    files = {p: textwrap.dedent(s).lstrip("\n") for p, s in sources.items()}
    report = lint_sources(files, Config(preview=preview))
    return [d for d in report.diagnostics if d.code == code]


def test_error_names_the_layers_it_resolved() -> None:
    src = NET_WITH_DROPOUT + RUN_LOADED
    found = _lint({"a.py": src}, False, "MODE001")
    assert [(d.line, d.severity) for d in found] == [(_line_of(src, "out = net("), Severity.ERROR)]
    assert "its Dropout layers" in found[0].message and "BatchNorm" not in found[0].message


def test_layer_free_model_is_preview_info_with_an_accurate_message() -> None:
    sources = {"a.py": NET_PLAIN + RUN_LOADED}
    assert _lint(sources, False, "MODE001") == []
    found = _lint(sources, True, "MODE001")
    assert [(d.severity, d.preview) for d in found] == [(Severity.INFO, True)]
    assert "has no Dropout or BatchNorm" in found[0].message


def test_unresolved_layers_are_a_warning_that_says_so() -> None:
    src = """
import torch
import segmentation_models_pytorch as smp

net = smp.Unet("resnet34", classes=2)
net.load_state_dict(torch.load("unet.pt", weights_only=True))
with torch.no_grad():
    mask = net(torch.rand(1, 3, 64, 64))
"""
    found = _lint({"a.py": src}, False, "MODE001")
    assert [d.severity for d in found] == [Severity.WARNING]
    assert "not resolved" in found[0].message and "act as in training" not in found[0].message


def test_jit_load_without_a_seen_save_is_preview() -> None:
    src = """
import torch

scripted = torch.jit.load("elsewhere/net_scripted.pt")
with torch.no_grad():
    y = scripted(torch.randn(1, 8))
"""
    assert _lint({"a.py": src}, False, "MODE001") == []
    found = _lint({"a.py": src}, True, "MODE001")
    assert [(d.line, d.preview) for d in found] == [(5, True)]
    assert "training flag it was saved with" in found[0].message


def test_jit_load_follows_the_save_to_its_mode() -> None:
    train = (
        NET_WITH_DROPOUT
        + """
net = Net()
net.load_state_dict(torch.load("net.pt", weights_only=True))
{switch}torch.jit.save(torch.jit.script(net), "net_scripted.pt")
"""
    )
    serve = """
import torch

scripted = torch.jit.load("net_scripted.pt")
with torch.no_grad():
    y = scripted(torch.randn(1, 8))
"""
    saved_in_train = _lint(
        {"train.py": train.format(switch=""), "serve.py": serve}, False, "MODE001"
    )
    assert [(d.path, d.severity) for d in saved_in_train] == [("serve.py", Severity.ERROR)]
    saved_in_eval = _lint(
        {"train.py": train.format(switch="net.eval()\n"), "serve.py": serve}, True, "MODE001"
    )
    assert saved_in_eval == []


def test_whole_pickled_module_of_unseen_class_is_preview() -> None:
    src = """
import torch

model = torch.load("someone_elses_model.pt", weights_only=False)
with torch.no_grad():
    y = model(torch.randn(1, 8))
"""
    assert _lint({"a.py": src}, False, "MODE001") == []
    assert [d.preview for d in _lint({"a.py": src}, True, "MODE001")] == [True]


def test_export_in_training_mode_is_reported_at_the_export() -> None:
    body = """
net = Net()
net.load_state_dict(torch.load("net.pt", weights_only=True))
{switch}program = torch.export.export(net, (torch.randn(1, 8),))
"""
    src = NET_WITH_DROPOUT + body.format(switch="")
    found = _lint({"a.py": src}, False, "MODE001")
    assert [(d.line, d.severity) for d in found] == [(_line_of(src, "export("), Severity.ERROR)]
    assert "exported in training mode" in found[0].message
    quiet = _lint({"a.py": NET_WITH_DROPOUT + body.format(switch="net.eval()\n")}, True, "MODE001")
    assert quiet == []


def test_train_not_restored_without_mode_layers_is_preview() -> None:
    loop = """
model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(3):
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        print(model(vx).sum())
"""
    plain = {"a.py": NET_PLAIN + loop}
    assert _lint(plain, False, "MODE002") == []
    assert [(d.severity, d.preview) for d in _lint(plain, True, "MODE002")] == [
        (Severity.INFO, True)
    ]
    found = _lint({"a.py": NET_WITH_DROPOUT + loop}, False, "MODE002")
    assert [d.severity for d in found] == [Severity.ERROR]
    assert "Dropout off" in found[0].message and "BatchNorm" not in found[0].message
