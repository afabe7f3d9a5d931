"""Randomness: seed calls, the RNG families a script uses, models built with randomness."""

from __future__ import annotations

from dataclasses import dataclass

from preplint.analysis.calls import resolve_function
from preplint.analysis.code_roles import is_test_code, is_test_module
from preplint.analysis.context import memos, on_behalf
from preplint.analysis.models import model_origin
from preplint.analysis.objects import bindings
from preplint.analysis.records import SeedCall
from preplint.analysis.training import training_calls
from preplint.facts import frameworks as fw
from preplint.facts.model import Call, FileFacts
from preplint.facts.project import ProjectIndex

FAMILY_LABEL = {
    "python": "Python `random`",
    "numpy": "NumPy",
    "torch": "PyTorch",
    "tensorflow": "TensorFlow",
}


# sklearn estimators whose fit draws random numbers (bootstrap, feature subsets, init, shuffling).
RANDOM_ESTIMATORS = frozenset(
    {
        "RandomForestClassifier",
        "RandomForestRegressor",
        "ExtraTreesClassifier",
        "ExtraTreesRegressor",
        "GradientBoostingClassifier",
        "GradientBoostingRegressor",
        "DecisionTreeClassifier",
        "DecisionTreeRegressor",
        "BaggingClassifier",
        "BaggingRegressor",
        "SGDClassifier",
        "SGDRegressor",
        "MLPClassifier",
        "MLPRegressor",
        "KMeans",
        "MiniBatchKMeans",
        "IsolationForest",
        "Perceptron",
        "RandomTreesEmbedding",
        "AdaBoostClassifier",
        "AdaBoostRegressor",
    }
)


NUMPY_GLOBAL_RNG_SAFE = frozenset(
    {
        "numpy.random.seed",
        "numpy.random.default_rng",
        "numpy.random.RandomState",
        "numpy.random.Generator",
        "numpy.random.get_state",
        "numpy.random.set_state",
        "numpy.random.PCG64",
        "numpy.random.SeedSequence",
    }
)


@on_behalf
def seed_calls(facts: FileFacts, index: ProjectIndex) -> list[SeedCall]:
    """Calls that seed global RNGs: framework seed functions, and project helpers (`set_seed`) that call them."""
    memo = memos(facts, index)
    if memo.seed_calls is None:
        memo.seed_calls = _seed_calls(facts, index)
    return memo.seed_calls


def _seed_calls(facts: FileFacts, index: ProjectIndex) -> list[SeedCall]:
    out: list[SeedCall] = []
    for call in facts.calls:
        families = fw.SEED_CALLS.get(call.qualname)
        if families is not None:
            out.append(SeedCall(call, _families(families), ""))
            continue
        if (
            call.qualname.endswith((".seed_everything", ".set_seed", ".set_random_seed"))
            and call.qualname.split(".")[0] in fw.ML_MODULE_ROOTS
        ):
            out.append(SeedCall(call, frozenset({"python", "numpy", "torch", "tensorflow"}), ""))
            continue
        helper = helper_families(facts, call, index, 0)
        if helper:
            out.append(SeedCall(call, helper, call.callee))
        elif unresolved_seed_helper(facts, call, index):
            # `from common import set_seed` outside the linted files: assume it seeds everything.
            out.append(SeedCall(call, frozenset(FAMILY_LABEL), call.callee))
    return out


def unresolved_seed_helper(facts: FileFacts, call: Call, index: ProjectIndex) -> bool:
    leaf = call.callee.rsplit(".", 1)[-1].lower()
    if "seed" not in leaf or call.qualname in fw.SEED_CALLS or leaf in ("seed",):
        return False
    root = call.callee.split(".")[0]
    imported = facts.imports.get(root, "")
    if imported.split(".")[0] in fw.ML_MODULE_ROOTS or imported.split(".")[0] in (
        "random",
        "numpy",
    ):
        return False
    return (
        resolve_function(facts, call, index) is None
        and index.function_for(facts, call.callee) is None
    )


def _families(families: frozenset[str]) -> frozenset[str]:
    return frozenset("tensorflow" if f == "keras" else f for f in families)


@on_behalf
def helper_families(
    facts: FileFacts, call: Call, index: ProjectIndex, depth: int
) -> frozenset[str]:
    """RNG families a project function seeds (through the seed calls inside it, two helpers deep)."""
    if depth > 2 or not call.callee or call.qualname in fw.SEED_CALLS:
        return frozenset()
    target = resolve_function(facts, call, index)
    if target is None and index is not None and call.callee and not call.method:
        target = index.function_for(facts, call.callee)
    if target is None:
        return frozenset()
    owner, fn = target
    memo = memos(owner, index).seed_helper_families
    key = (fn.qualname, depth)
    if key in memo:
        return memo[key]
    memo[key] = frozenset()  # a recursive helper seeds nothing more by calling itself
    found: set[str] = set()
    for inner in owner.calls_by_function.get(fn.qualname, []):
        families = fw.SEED_CALLS.get(inner.qualname)
        if families is not None:
            found |= _families(families)
        elif inner.callee and inner is not call:
            found |= helper_families(owner, inner, index, depth + 1)
    memo[key] = frozenset(found)
    return memo[key]


@dataclass(frozen=True)
class RngUse:
    call: Call
    explicit: bool  # a direct draw (`random.sample`, `np.random.permutation`), not a model's initialisation


@dataclass(frozen=True)
class BuiltModel:
    name: str
    scope: str
    stmt: int
    family: str  # torch | tensorflow
    call: Call


def built_models(facts: FileFacts, index: ProjectIndex) -> list[BuiltModel]:
    """Models constructed in this file (directly, or by a project helper such as `build_model()`), not loaded."""
    out: list[BuiltModel] = []
    seen: set[int] = set()
    for b in bindings(facts, index):
        call = facts.call_by_id[b.call]
        if b.origin != "constructed" or call.qualname.endswith("Loss"):
            continue
        if b.kind in ("torch-module", "keras-model"):
            out.append(
                BuiltModel(
                    b.name,
                    b.scope,
                    b.stmt,
                    "torch" if b.kind == "torch-module" else "tensorflow",
                    call,
                )
            )
            seen.add(b.call)
    for assign in facts.assigns:
        if (
            assign.op != "="
            or len(assign.targets) != 1
            or assign.value.kind != "call"
            or assign.value.call in seen
        ):
            continue
        call = facts.call_by_id[assign.value.call]
        if call.qualname or not call.callee or call.method:
            continue
        origin = model_origin(facts, assign.targets[0], assign.scope, assign.stmt + 1, index)
        if (
            origin is not None
            and origin.load_call < 0
            and not origin.artifact
            and origin.kind in ("torch-module", "keras-model")
        ):
            family = "torch" if origin.kind == "torch-module" else "tensorflow"
            out.append(BuiltModel(assign.targets[0], assign.scope, assign.stmt, family, call))
    return sorted(out, key=lambda m: m.call.id)


def rng_families_used(facts: FileFacts, index: ProjectIndex) -> dict[str, RngUse]:
    """RNG family → where the file first relies on its global generator (building a model, or a direct draw)."""
    used: dict[str, RngUse] = {}
    trained = training_calls(facts, index)
    for model in built_models(facts, index):
        used.setdefault(model.family, RngUse(model.call, False))
    for call in facts.calls:
        qual = call.qualname
        if not qual:
            continue
        root = qual.split(".", 1)[0]
        if root == "random" and qual not in (
            "random.seed",
            "random.Random",
            "random.SystemRandom",
            "random.getstate",
            "random.setstate",
        ):
            used.setdefault("python", RngUse(call, True))
        elif qual.startswith("numpy.random.") and qual not in NUMPY_GLOBAL_RNG_SAFE:
            used.setdefault("numpy", RngUse(call, True))
        elif qual in fw.TORCH_RANDOM_CALLS and not call.has_kwarg("generator"):
            used.setdefault("torch", RngUse(call, True))
        elif (
            qual.startswith(("tensorflow.random.", "keras.random."))
            and qual not in fw.SEED_CALLS
            and not call.has_kwarg("seed")
        ):
            used.setdefault("tensorflow", RngUse(call, True))
        elif randomized_estimator(call):
            used.setdefault("numpy", RngUse(call, True))
    if trained:
        if facts.uses("torch") and any(c.method in ("backward", "step") for c in trained):
            used.setdefault("torch", RngUse(trained[0], False))
        if (facts.uses("keras") or facts.uses("tensorflow")) and any(
            c.method in ("fit", "fit_generator", "train_on_batch") for c in trained
        ):
            used.setdefault("tensorflow", RngUse(trained[0], False))
    return used


def randomized_estimator(call: Call) -> bool:
    qual = call.qualname
    if not qual.startswith("sklearn.") or qual.rsplit(".", 1)[-1] not in RANDOM_ESTIMATORS:
        return False
    state = call.arg(keyword="random_state")
    if state is None:
        return not any(a.star == "**" for a in call.args)
    return state.value.kind == "const" and state.value.const is None


def trainings(facts: FileFacts, index: ProjectIndex) -> list[Call]:
    """The shared training calls, plus `fit` on a model a project helper built (`model = build(); model.fit(...)`).

    Training in test code is left out: a unit test fits a model to check shapes or behaviour,
    and the model it trains never ships, so its seeds do not decide what a re-run deploys.
    """
    if is_test_module(facts):
        return []
    found = {c.id: c for c in training_calls(facts, index)}
    built = {m.name for m in built_models(facts, index)}
    for call in facts.calls:
        if call.method in ("fit", "fit_generator", "train_on_batch") and (
            call.receiver in built or call.has_kwarg("epochs")
        ):
            found.setdefault(call.id, call)
    return [found[k] for k in sorted(found) if not is_test_code(facts, found[k].scope)]


_PROFILER_ROOTS = frozenset(
    {
        "scalene",
        "cProfile",
        "profile",
        "line_profiler",
        "memory_profiler",
        "thop",
        "ptflops",
        "fvcore",
    }
)


def profiling_script(facts: FileFacts) -> bool:
    """A script that measures time, memory or FLOPs (a profiler demo, a FLOP counter), whose
    trained weights are not the point."""
    path = facts.path.lower()
    if "profil" in path or "flops" in path:
        return True
    return bool(facts.imported_roots & _PROFILER_ROOTS) or any(
        q.startswith("torch.profiler") for q in facts.imports.values()
    )


def reproducibility_intent(facts: FileFacts) -> Call | None:
    """Where the file shows it wants repeatable runs without seeding a global generator: a
    `random_state=`/`seed=` argument with a value (a seeded split, a seeded data generator), a
    `--seed` command-line option, or deterministic kernels switched on. None when it shows none."""
    for call in facts.calls:
        for keyword in ("random_state", "seed"):
            arg = call.arg(keyword=keyword)
            if arg is not None and not (arg.value.kind == "const" and arg.value.const is None):
                return call
        if call.method == "add_argument":
            first = call.arg(0)
            if (
                first is not None
                and isinstance(first.value.const, str)
                and ("seed" in first.value.const.lower())
            ):
                return call
        if call.qualname == "torch.use_deterministic_algorithms":
            mode = call.arg(0, "mode")
            if mode is not None and mode.value.const is True:
                return call
    return None
