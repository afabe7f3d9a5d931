"""SAFE: loading artifacts that can run code."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.diagnostics import Edit, Fix
from preplint.facts.model import FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


@rule(
    "SAFE001",
    "torch-load-unsafe",
    severity="warning",
    fixable=True,
    positives=[
        """
import torch
state = torch.load("model.pt")  # expect: SAFE001
""",
        """
from torch import load as torch_load
def restore(path):
    return torch_load(path, map_location="cpu", weights_only=False)  # expect: SAFE001
""",
    ],
    negatives=[
        """
import torch
state = torch.load("model.pt", weights_only=True)
""",
        """
import pickle
def load(path):
    # not torch: a user's own `load` helper and a plain file read
    with open(path, "rb") as f:
        return f.read()
model = load("model.pt")
""",
    ],
)
def torch_load_unsafe(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """What it does:
    Flags `torch.load(...)` calls that do not pass `weights_only=True`.

    Why is this bad?:
    `torch.load` unpickles the file, and unpickling can run arbitrary code stored in it.
    Since PyTorch 2.6 the default is `weights_only=True`, so the same line behaves
    differently across versions: it fails on full pickled models, or it runs code on older ones.

    Example:
    ```python
    state = torch.load("model.pt")
    ```

    Use instead:
    ```python
    state = torch.load("model.pt", weights_only=True)
    ```

    References:
    - https://pytorch.org/docs/stable/generated/torch.load.html
    """
    for call in facts.calls_named("torch.load"):
        flag = call.arg(keyword="weights_only")
        if flag is not None and flag.value.const is True:
            continue
        if flag is None and any(a.star == "**" for a in call.args):
            continue
        if flag is None:
            span = call.span
            fix = Fix(
                "Pass `weights_only=True`",
                (Edit(span.end_line, span.end_column - 1, span.end_line, span.end_column - 1, _insertion(call)),),
            )
            message = "`torch.load` without `weights_only=True` unpickles arbitrary code; pass `weights_only=True`"
        else:
            fix = None
            message = f"`torch.load` with `weights_only={flag.value.text}` unpickles arbitrary code"
        yield Finding(call.span, message, fix=fix)


def _insertion(call: object) -> str:
    args = getattr(call, "args", ())
    return ", weights_only=True" if args else "weights_only=True"
