"""LOAD004 (non-strict-state-dict): Flags `load_state_dict(..., strict=False)` whose result, the missing and unexpected keys, is thrown away."""

from __future__ import annotations

import re
from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.objects import binding_of
from preplint.facts.model import Call, FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


@rule(
    "LOAD004",
    "non-strict-state-dict",
    severity="warning",
    positives=[
        """
import torch
import torchvision

model = torchvision.models.resnet34(num_classes=4)
state = torch.load("defects.pth", map_location="cpu", weights_only=True)
model.load_state_dict(state, strict=False)  # expect: LOAD004
model.eval()
""",
        """
import torch

class Predictor:
    def __init__(self, net, path):
        self.model = net
        self.model.load_state_dict(torch.load(path, weights_only=True)["model"], False)  # expect: LOAD004
        _ = self.model.load_state_dict(torch.load(path, weights_only=True), strict=False)  # expect: LOAD004
""",
        # keyword-state-dict-and-alias
        """
import torch
import torch.nn as nn

net = nn.Linear(3, 1)
net.load_state_dict(state_dict=torch.load("w.pt", weights_only=True), strict=False)  # expect: LOAD004
""",
        # state-dict-of-an-unpickled-module-still-fires
        """
import torch

old = torch.load("full_model.pt", weights_only=False)
model = Net()
model.load_state_dict(old.state_dict(), strict=False)  # expect: LOAD004
""",
        # snapshot-held-by-another-object-still-fires
        """
import torch

class Runner:
    def restore(self):
        self.net.load_state_dict(self.ckpt, strict=False)  # expect: LOAD004
""",
        # second-load-after-a-checked-first-one-still-fires
        """
import torch

def load_two(model, a, b):
    missing, unexpected = model.load_state_dict(torch.load(a, weights_only=True), strict=False)
    model.load_state_dict(torch.load(b, weights_only=True), strict=False)  # expect: LOAD004
    return missing, unexpected
""",
    ],
    negatives=[
        # filtered-transfer-counted-and-logged
        """
import torch

model = Detector(cfg)
ckpt = torch.load(weights, map_location="cpu", weights_only=True)
csd = intersect_dicts(ckpt["model"], model.state_dict(), exclude=["anchor"])
model.load_state_dict(csd, strict=False)
log.info(f"Transferred {len(csd)}/{len(model.state_dict())} items from {weights}")
""",
        """
import torch

model = Net()
missing, unexpected = model.load_state_dict(torch.load("m.pt", weights_only=True), strict=False)
assert not unexpected and all(k.startswith("fc.") for k in missing)
""",
        """
import logging
import torch

def restore(model, path):
    result = model.load_state_dict(torch.load(path, weights_only=True), strict=False)
    logging.info("missing keys: %s", result.missing_keys)
    model.load_state_dict(torch.load(path, weights_only=True))
    return model
""",
        """
from torch import nn

def warm_start(student: nn.Module, teacher: nn.Module) -> nn.Module:
    # copy the blocks both share; the student's extra layers keep their fresh weights
    student.encoder.load_state_dict(teacher.encoder.state_dict(), strict=False)
    return student
""",
        """
import torch

def load_head(model, path):
    state = torch.load(path, weights_only=True)
    unexpected = set(state) - set(model.head_keys())
    if unexpected:
        raise KeyError(sorted(unexpected))
    model.load_state_dict(state, strict=False)
""",
        # result-printed
        """
import torch
model = build()
print(model.load_state_dict(torch.load("w.pt", weights_only=True), strict=False))
""",
        # result-checked-later
        """
import torch
model = build()
incompatible = model.load_state_dict(torch.load("w.pt", weights_only=True), strict=False)
if incompatible.missing_keys:
    raise SystemExit(1)
""",
        # strict-from-argument
        """
import torch
def load(model, path, strict):
    model.load_state_dict(torch.load(path, weights_only=True), strict=strict)
""",
        # strict-true-positional
        """
import torch
model.load_state_dict(torch.load("w.pt", weights_only=True), True)
""",
        # copy-blocks-from-a-live-backbone
        """
import torch.nn as nn

def init_from_backbone(head_net: nn.Module, backbone: nn.Module) -> nn.Module:
    head_net.stem.load_state_dict(backbone.stem.state_dict(), strict=False)
    weights = backbone.layers.state_dict()
    head_net.layers.load_state_dict(weights, strict=False)
    return head_net
""",
        # restore-own-snapshot
        """
def undo_patch(encoder):
    if encoder._saved_norms:
        encoder.load_state_dict(encoder._saved_norms, strict=False)
        encoder._saved_norms = None
""",
        # keys-compared-before-loading
        """
import torch

def load_adapter(model, path):
    state = torch.load(path, weights_only=True)
    missing = set(model.adapter_keys()) - set(state)
    if missing:
        raise KeyError(sorted(missing))
    model.load_state_dict(state, strict=False)
""",
    ],
)
def non_strict_state_dict(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags `load_state_dict(..., strict=False)` whose result, the missing and unexpected keys, is
    thrown away.

    Why is this bad?:
    With `strict=False`, keys that do not match are skipped without a word. A renamed layer, a
    `module.` prefix left by `DataParallel`, or a checkpoint of another architecture then loads
    nothing into those layers, and they keep their random initial weights: predictions are noise
    and no error is raised.

    Example:
    ```python
    model.load_state_dict(state, strict=False)
    ```

    Use instead:
    ```python
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k.startswith("fc.") for k in missing), (missing, unexpected)
    ```

    References:
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.load_state_dict
    """
    facts, index = ctx.facts, ctx.index
    used = _used_results(facts)
    for call in facts.method_calls("load_state_dict"):
        strict = call.arg(1, "strict")
        if strict is None or strict.value.const is not False or strict.value.kind != "const":
            continue
        if call.id in used:
            continue
        if (
            _copies_live_weights(facts, index, call)
            or _keys_checked_by_hand(facts, call)
            or _transfer_counted(facts, call)
        ):
            continue
        yield Finding(
            call.span,
            "`load_state_dict(..., strict=False)` ignores its result: layers whose keys do not match keep "
            "their random weights silently; check `missing_keys`/`unexpected_keys` or load strictly",
        )


def _copies_live_weights(facts: FileFacts, index: ProjectIndex, call: Call) -> bool:
    """`dst.load_state_dict(src.state_dict(), strict=False)` from a module in memory, or
    `m.load_state_dict(m._kept_subset, strict=False)` restoring a snapshot `m` took of itself.

    Both are partial on purpose (initialising some blocks of a new module from a built one,
    putting back a few saved tensors) and neither reads a file whose keys could have drifted:
    the missing keys are the layers meant to keep their own weights.
    """
    arg = call.arg(0, "state_dict")
    if arg is None:
        return False
    value = arg.value
    if value.kind == "name":
        assign = facts.reaching_assign(value.text, call.scope, call.stmt)
        if assign is not None and assign.op == "=" and assign.value.kind == "call":
            value = assign.value
    if value.kind == "call":
        source = facts.call_by_id[value.call]
        if source.method != "state_dict" or not source.receiver or source.args:
            return False
        if source.receiver == call.receiver:
            return False
        b = binding_of(facts, source.receiver.split(".", 1)[0], call.scope, call.stmt, index)
        return b is None or b.kind not in ("torch-loaded", "unpickled")
    receiver = call.receiver
    return (
        value.kind == "attr"
        and receiver not in ("", "self", "cls")
        and value.text.startswith(receiver + ".")
    )


def _transfer_counted(facts: FileFacts, call: Call) -> bool:
    """`csd = intersect_dicts(...)`; `load_state_dict(csd, strict=False)`; then `len(csd)` is
    reported (`Transferred 340/349 items`): the partial transfer is filtered and shown."""
    arg = call.arg(0, "state_dict")
    if arg is None or arg.value.kind != "name":
        return False
    name = arg.value.text
    assign = facts.reaching_assign(name, call.scope, call.stmt)
    if assign is None or assign.op != "=" or assign.value.kind != "call":
        return False  # a dict read straight from a file, not one built by matching keys
    return any(
        c.scope == call.scope
        and c.stmt >= call.stmt
        and c.callee == "len"
        and any(a.value.text == name for a in c.args)
        for c in facts.calls
    )


_KEY_CHECK = re.compile(r"missing|unexpected", re.I)


def _keys_checked_by_hand(facts: FileFacts, call: Call) -> bool:
    """The function works out the missing or unexpected keys itself before loading
    (`missing = set(expected) - set(state.keys())`, then raises or reports)."""
    for a in facts.assigns:
        if a.scope != call.scope or a.stmt >= call.stmt or a.op != "=":
            continue
        if not any(_KEY_CHECK.search(t.rsplit(".", 1)[-1]) for t in a.targets):
            continue
        if a.value.call >= 0 and facts.call_by_id[a.value.call].method == "load_state_dict":
            continue  # the result of an earlier load, not a check of this one
        if a.value.kind != "const" and (a.value.names or a.value.calls):
            return True
    return False


def _used_results(facts: FileFacts) -> set[int]:
    """Calls whose value is kept: assigned to a name other than `_`, passed on, or returned."""
    out: set[int] = set()
    for a in facts.assigns:
        if a.value.call >= 0 and any(t != "_" for t in a.targets) and a.op in ("=", "with"):
            out.add(a.value.call)
    for call in facts.calls:
        if call.parent >= 0:
            out.add(call.id)
    for fn in facts.functions:
        for value in fn.returns:
            out.update(value.calls)
    return out
