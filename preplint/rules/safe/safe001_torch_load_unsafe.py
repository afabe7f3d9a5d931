"""SAFE001 (torch-load-unsafe): Flags `torch.load(...)` calls that do not pass `weights_only=True`."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.artifacts import partners
from preplint.analysis.calls import argument_for, resolve_function
from preplint.analysis.context import FileContext
from preplint.analysis.records import ArtifactEvent
from preplint.analysis.saving import _artifact, _related, torch_saved_content
from preplint.analysis.scopes import enclosing_functions
from preplint.diagnostics import Edit, Fix, Related, Severity
from preplint.facts.model import Call, FileFacts, Function
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule


@rule(
    "SAFE001",
    "torch-load-unsafe",
    severity="warning",
    probe="pickle-scan",
    fixable=True,
    positives=[
        # whole-module-saved-then-loaded
        {
            "train.py": """
import torch
model = Net()
train(model)
torch.save(model, "artifacts/net.pt")
""",
            "serve.py": """
import torch
model = torch.load("artifacts/net.pt")  # expect: SAFE001
model.eval()
""",
        },
        # own-state-dict-resume-at-info
        """
import torch
G = Generator()
if start_epoch:
    G.load_state_dict(torch.load("saved/G_%d.pth" % start_epoch))  # expect: SAFE001
for epoch in range(start_epoch, 100):
    train(G)
    torch.save(G.state_dict(), "saved/G_%d.pth" % epoch)
""",
        """
import torch
state = torch.load("model.pt")  # expect: SAFE001
""",
        """
from torch import load as torch_load
def restore(path):
    return torch_load(path, map_location="cpu", weights_only=False)  # expect: SAFE001
""",
        {
            "ckpt.py": """
import torch

def read_checkpoint(path, trusted=True):
    return torch.load(path, map_location="cpu", weights_only=trusted)
""",
            "resume.py": """
from ckpt import read_checkpoint

state = read_checkpoint("runs/last.ckpt", trusted=False)  # expect: SAFE001
""",
        },
        # pass-through-defaulting-to-false-is-reported
        """
import torch

def restore_full(path, trusted=False):
    return torch.load(path, weights_only=trusted)  # expect: SAFE001
""",
        # caller-passing-literal-false-is-reported
        {
            "io_utils.py": """
import torch

def read_blob(path, weights_only=True):
    return torch.load(path, map_location="cpu", weights_only=weights_only)
""",
            "resume.py": """
from io_utils import read_blob

safe = read_blob("last.ckpt")
also_safe = read_blob("last.ckpt", weights_only=True)
unsafe = read_blob("legacy.ckpt", weights_only=False)  # expect: SAFE001
positional = read_blob("legacy.ckpt", False)  # expect: SAFE001
""",
        },
        # caller-two-hops-away
        """
import torch

def _read(path, weights_only):
    return torch.load(path, weights_only=weights_only)

def resume(task, path, weights_only=True):
    state = _read(path, weights_only=weights_only)
    task.load_state_dict(state["task"])

def test_resume(task):
    resume(task, "ckpt.pt", weights_only=False)  # expect: SAFE001
""",
        # literal-false-and-missing-flag-stay-reported
        """
import torch

def load_any(path):
    full = torch.load(path, weights_only=False)  # expect: SAFE001
    plain = torch.load(path)  # expect: SAFE001
    return full, plain
""",
    ],
    negatives=[
        """
import torch

def read_checkpoint(path, weights_only=True):
    # the flag is the caller's choice, passed through unchanged
    return torch.load(path, map_location="cpu", weights_only=weights_only)

state = read_checkpoint("runs/last.ckpt")
""",
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
        # pass-through-parameter-is-the-callers-choice
        """
import torch
from typing import Optional

def load_state(path, map_location=None, weights_only: Optional[bool] = None):
    with open(path, "rb") as fh:
        return torch.load(fh, map_location=map_location, weights_only=weights_only)

class Strategy:
    def load_checkpoint(self, path, weights_only=True):
        meta = torch.load(path + ".meta", weights_only=weights_only)
        return meta

def outer(path, weights_only=True):
    def inner():
        return torch.load(path, weights_only=weights_only)
    return inner()
""",
        # unrelated-false-argument-is-not-a-load
        """
import torch

def read_blob(path, strict=True, weights_only=True):
    return torch.load(path, weights_only=weights_only)

state = read_blob("a.pt", strict=False)
""",
    ],
)
def torch_load_unsafe(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags `torch.load(...)` calls that do not pass `weights_only=True`. A function that hands its
    own parameter on (`weights_only=weights_only`) leaves the choice to its callers: a caller in
    the project that passes a literal `False` is reported instead (and the function itself when
    that parameter defaults to `False`).

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

    Severity follows what the saving side writes, when a `torch.save` of the same path is
    seen: a module or an optimizer pickled whole stays a warning (the line fails on torch >= 2.6
    and runs the pickle's code before); only `state_dict()`s and plain values is info (torch
    >= 2.6 reads them as weights already; the fix makes that explicit for older versions). A load
    handed straight to `load_state_dict` in a file that saves only state_dicts counts as the
    latter. With no saver seen (a path from the command line, a downloaded file) it stays a
    warning.

    References:
    - https://pytorch.org/docs/stable/generated/torch.load.html
    """
    facts, index = ctx.facts, ctx.index
    loads = {e.call: e for e in ctx.artifact_events if e.api == "torch-load"}
    for call in facts.calls_named("torch.load"):
        flag = call.arg(keyword="weights_only")
        if flag is not None and flag.value.const is True:
            continue
        if flag is None and any(a.star == "**" for a in call.args):
            continue
        if flag is not None and flag.value.kind == "name":
            owner = _forwarding_function(facts, call.scope, flag.value.name)
            if owner is not None:
                # `def load(path, weights_only=True): torch.load(path, weights_only=weights_only)`: the
                # caller decides (callers passing a literal False are reported where they call).
                if _defaults_to_false(owner, flag.value.name):
                    yield Finding(
                        call.span,
                        f"`torch.load` with `weights_only={flag.value.name}`, which defaults to `False` in "
                        f"`{owner.qualname}`: every caller that does not pass it unpickles arbitrary code",
                    )
                continue
        event = loads.get(call.id)
        artifact = _artifact(event.path) if event is not None else None
        if flag is None:
            content, related = _saved_content(ctx, call, event)
            if content == "tensors":
                # Read as weights by torch >= 2.6 already; older torch would unpickle it.
                message = (
                    "`torch.load` without `weights_only=True`: the file holds only state_dicts and "
                    "plain values (see where it is saved), so `weights_only=True` reads it on every "
                    "torch version; make it explicit"
                )
                severity: Severity | None = Severity.INFO
            elif content == "objects":
                message = (
                    "`torch.load` without `weights_only=` of a file that holds pickled objects (a "
                    "module or optimizer, see where it is saved): it fails on torch >= 2.6 and runs "
                    "the pickle's code on older torch; save `state_dict()`s and load with "
                    "`weights_only=True`"
                )
                severity = None
            else:
                message = "`torch.load` without `weights_only=True` unpickles arbitrary code; pass `weights_only=True`"
                severity = None
            yield Finding(
                call.span,
                message,
                fix=_weights_only_fix(facts, call) if content != "objects" else None,
                artifact=artifact,
                severity=severity,
                related=related,
            )
        else:
            message = f"`torch.load` with `weights_only={flag.value.text}` unpickles arbitrary code"
            yield Finding(call.span, message, artifact=artifact)
    yield from _callers_passing_false(facts, index)


def _saved_content(
    ctx: FileContext, call: Call, event: ArtifactEvent | None
) -> tuple[str, tuple[Related, ...]]:
    """What the loaded file holds, from the `torch.save`s linked to it by its path: 'tensors',
    'objects' (one saver writes a module or an optimizer) or '' (no saver seen, or unclear).
    Unlinked, a load handed straight to `load_state_dict` in a file that itself saves only
    `state_dict()`s reads the project's own weights: 'tensors'."""
    index = ctx.index
    savers = (
        [e for e in partners(index, event, "save") if e.api == "torch-save"]
        if event is not None
        else []
    )
    if savers:
        verdicts = [torch_saved_content(index, e) for e in savers]
        related = tuple(
            r for e in savers[:2] if (r := _related(index, e, "saved here")) is not None
        )
        if "objects" in verdicts:
            return "objects", related
        if all(v == "tensors" for v in verdicts):
            return "tensors", related
        return "", ()
    facts = ctx.facts
    parent = facts.call_by_id.get(call.parent) if call.parent >= 0 else None
    if parent is None or parent.method != "load_state_dict":
        return "", ()
    own = [e for e in ctx.artifact_events if e.api == "torch-save"]
    if own and all(torch_saved_content(index, e) == "tensors" for e in own):
        return "tensors", ()
    return "", ()


def _forwarding_function(facts: FileFacts, scope: str, name: str) -> Function | None:
    """The enclosing function whose own parameter `name` is (`weights_only=weights_only`)."""
    for fn in enclosing_functions(facts, scope):
        if name in fn.params:
            return fn
    return None


def _defaults_to_false(fn: Function, param: str) -> bool:
    if len(fn.defaults) != len(fn.params):
        return False
    default = fn.defaults[fn.params.index(param)]
    return default is not None and default.kind == "const" and default.const is False


def _weights_only_fix(facts: FileFacts, call: Call) -> Fix | None:
    """Insert `weights_only=True`, except where that is known to break the load: an explicit
    `pickle_module` (torch refuses both), or a function that takes its own `weights_only` (the
    call is its fallback for when the caller asked for a full unpickle or torch lacks the flag)."""
    if call.arg(2, "pickle_module") is not None:
        return None
    if any("weights_only" in fn.params for fn in enclosing_functions(facts, call.scope)):
        return None
    span = call.span
    text = ", weights_only=True" if call.args else "weights_only=True"
    return Fix(
        "Pass `weights_only=True`",
        (Edit(span.end_line, span.end_column - 1, span.end_line, span.end_column - 1, text),),
    )


def _callers_passing_false(facts: FileFacts, index: ProjectIndex) -> Iterator[Finding]:
    """`load_checkpoint(path, weights_only=False)` where the project's `load_checkpoint` hands its
    `weights_only` to `torch.load`: the unsafe choice is made here, so it is reported here."""
    for call in facts.calls:
        if not call.callee or not any(
            a.value.kind == "const" and a.value.const is False for a in call.args
        ):
            continue
        target = resolve_function(facts, call, index)
        if target is None:
            continue
        owner, fn = target
        for load_owner, load, param in _forwarded_loads(owner, fn, index):
            passed = argument_for(call, fn, param)
            if passed is None or passed.kind != "const" or passed.const is not False:
                continue
            yield Finding(
                call.span,
                f"`{call.callee}(..., {param}=False)` makes `torch.load` unpickle arbitrary code",
                related=(
                    Related(
                        load_owner.path,
                        load.span.line,
                        load.span.column,
                        "`torch.load` that receives it",
                    ),
                ),
            )
            break


def _forwarded_loads(
    owner: FileFacts, fn: Function, index: ProjectIndex, depth: int = 0
) -> list[tuple[FileFacts, Call, str]]:
    """`torch.load` calls that receive one of `fn`'s parameters as `weights_only`, directly or
    through up to two more project functions that pass it on, with that parameter's name."""
    out: list[tuple[FileFacts, Call, str]] = []
    for call in owner.calls:
        if call.scope != fn.qualname:
            continue
        if call.qualname == "torch.load":
            flag = call.arg(keyword="weights_only")
            if flag is not None and flag.value.kind == "name" and flag.value.name in fn.params:
                out.append((owner, call, flag.value.name))
            continue
        if depth >= 2 or not any(a.value.name in fn.params for a in call.args):
            continue
        target = resolve_function(owner, call, index)
        if target is None or target[1] is fn:
            continue
        # `_load(path, weights_only=weights_only)`: follow the parameter into the callee
        inner_owner, inner = target
        for load_owner, load, inner_param in _forwarded_loads(inner_owner, inner, index, depth + 1):
            passed = argument_for(call, inner, inner_param)
            if passed is not None and passed.name in fn.params:
                out.append((load_owner, load, passed.name))
    return out
