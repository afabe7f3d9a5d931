"""SEED004 (nondeterministic-kernels): Flags a script that sets seeds (so it wants reproducible runs) but turns nondeterministic kernels on: `torch.backends.cudnn.benchmark = True`, `torch.backends.cudnn.deterministic = False`, `torch.use_deterministic_algorithms(False)`, `TF_DETERMINISTIC_OPS=0`."""

from __future__ import annotations

from collections.abc import Iterator

from preplint.analysis.context import FileContext
from preplint.analysis.records import SeedCall
from preplint.facts.model import FileFacts
from preplint.rules import Finding, rule


def _on_seeded_path(seeds: list[SeedCall], scope: str) -> bool:
    """Whether code in `scope` runs with the file's seeds: either side at module level, or
    both in the same top-level function or class. A library's `disable_determinism()` helper
    is not made suspect by an unrelated `manual_seed` wrapper elsewhere in the module."""
    if not scope:
        return True
    top = scope.split(".")[0]
    return any(not s.call.scope or s.call.scope.split(".")[0] == top for s in seeds)


def _random_seed_value(facts: FileFacts, seed: SeedCall) -> bool:
    """A seed whose value is itself drawn (`seed = random.randint(1, 10000)` by default): the
    script records the seed but does not ask for identical runs."""
    arg = seed.call.arg(0, "seed")
    if arg is None or arg.value.kind not in ("name", "attr"):
        return False
    assign = facts.reaching_assign(arg.value.text, seed.call.scope, seed.call.stmt)
    if assign is None or assign.value.kind != "call":
        return False
    maker = facts.call_by_id.get(assign.value.call)
    return maker is not None and maker.qualname.startswith(
        ("random.", "numpy.random.", "time.", "secrets.")
    )


_NONDETERMINISTIC_ENV = {
    "TF_DETERMINISTIC_OPS": ("0", "false", "False"),
    "TF_CUDNN_DETERMINISTIC": ("0", "false", "False"),
}


@rule(
    "SEED004",
    "nondeterministic-kernels",
    severity="info",
    positives=[
        """
import torch
torch.manual_seed(0)
torch.backends.cudnn.benchmark = True  # expect: SEED004
""",
        """
import os
import tensorflow as tf
tf.random.set_seed(1)
os.environ["TF_DETERMINISTIC_OPS"] = "0"  # expect: SEED004
""",
        # nondeterministic_kernels
        """
import torch
from torch.backends import cudnn
import os

def setup(seed):
    torch.manual_seed(seed)
    cudnn.benchmark = True  # expect: SEED004
    torch.backends.cudnn.deterministic = False  # expect: SEED004
    torch.use_deterministic_algorithms(False)  # expect: SEED004
""",
        # tf_env_determinism_off
        """
import os
import tensorflow as tf
os.environ["TF_DETERMINISTIC_OPS"] = "1"
tf.keras.utils.set_random_seed(0)
os.environ.setdefault("TF_CUDNN_DETERMINISTIC", "0")  # expect: SEED004
""",
        # seed_in_init_and_benchmark_in_setup_of_one_class
        """
import torch

class Runner:
    def __init__(self, seed):
        torch.manual_seed(seed)

    def setup(self):
        torch.backends.cudnn.benchmark = True  # expect: SEED004
""",
        # module_level_benchmark_with_seed_in_main
        """
import torch
torch.backends.cudnn.benchmark = True  # expect: SEED004

def main():
    torch.manual_seed(0)
""",
    ],
    negatives=[
        # seed_drawn_at_random_by_default
        """
import random
import torch
seed = random.randint(1, 10000)
print("Random Seed:", seed)
torch.manual_seed(seed)
torch.backends.cudnn.benchmark = True
""",
        """
import torch
torch.backends.cudnn.benchmark = True
""",
        """
import torch
torch.manual_seed(0)
torch.backends.cudnn.benchmark = False
torch.use_deterministic_algorithms(True)
""",
        """
import torch

def seed_generator(seed):
    return torch.manual_seed(seed)

def restore_default_kernels():
    torch.use_deterministic_algorithms(False)
    torch.backends.cudnn.benchmark = True
""",
    ],
)
def nondeterministic_kernels(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags a script that sets seeds (so it wants reproducible runs) but turns nondeterministic
    kernels on: `torch.backends.cudnn.benchmark = True`, `torch.backends.cudnn.deterministic = False`,
    `torch.use_deterministic_algorithms(False)`, `TF_DETERMINISTIC_OPS=0`. A seeded script that
    merely never asks for determinism is not flagged, and neither is a setting in a function
    unrelated to the seeds (a library's `disable_determinism()` next to a seeding helper): the
    seed and the setting must share a top-level function or class, or one of them must sit at
    module level. Nor a script whose every seed is itself drawn at random by default
    (`seed = random.randint(1, 10000)`): it records its seed but does not ask for identical runs.

    Why is this bad?:
    cuDNN autotuning and atomic-add kernels give different results from run to run, so the
    seeds do not make the run reproducible, which is what they were written for.

    Example:
    ```python
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = True
    ```

    Use instead:
    ```python
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True)
    ```

    References:
    - https://pytorch.org/docs/stable/notes/randomness.html
    """
    facts = ctx.facts
    seeds = ctx.seed_calls
    if not seeds or all(_random_seed_value(facts, s) for s in seeds):
        return
    for assign in facts.assigns:
        if assign.op != "=" or not _on_seeded_path(seeds, assign.scope):
            continue
        for target in assign.targets:
            qual = facts.resolve(target) if not target.endswith("[]") else ""
            const = assign.value.const
            if qual == "torch.backends.cudnn.benchmark" and const is True:
                yield Finding(
                    assign.span,
                    "`cudnn.benchmark = True` picks kernels by timing; results change between runs despite the seeds",
                )
            elif qual == "torch.backends.cudnn.deterministic" and const is False:
                yield Finding(
                    assign.span,
                    "`cudnn.deterministic = False` allows nondeterministic kernels despite the seeds",
                )
            elif target == "os.environ[]" and facts.imports.get("os") == "os":
                for key in assign.keys:
                    if (
                        isinstance(key, str)
                        and key in _NONDETERMINISTIC_ENV
                        and const in _NONDETERMINISTIC_ENV[key]
                    ):
                        yield Finding(
                            assign.span,
                            f"`{key}={const}` turns deterministic TensorFlow ops off despite the seeds",
                        )
    for call in facts.calls:
        if not _on_seeded_path(seeds, call.scope):
            continue
        if call.qualname == "torch.use_deterministic_algorithms":
            arg = call.arg(0, "mode")
            if arg is not None and arg.value.const is False:
                yield Finding(
                    call.span,
                    "`torch.use_deterministic_algorithms(False)` allows nondeterministic kernels despite the seeds",
                )
        elif call.qualname in ("os.environ.setdefault", "os.putenv") or (
            call.callee == "os.environ.update"
        ):
            name_arg = call.arg(0)
            val = call.arg(1)
            env = name_arg.value.const if name_arg is not None else None
            if (
                isinstance(env, str)
                and val is not None
                and env in _NONDETERMINISTIC_ENV
                and val.value.const in _NONDETERMINISTIC_ENV[env]
            ):
                yield Finding(
                    call.span,
                    f"`{env}={val.value.const}` turns deterministic TensorFlow ops off despite the seeds",
                )
