"""Incremental re-linting: after any edit, a run that reuses the per-file records of the last
run prints exactly what a run without a cache prints, and re-lints only the files the edit can
reach.

Every cached run here goes through `preplint.pipeline.incremental` (a folder is checked, so no
partner search), and the whole-run cache under `cache/runs` is removed before each one so that
an unchanged tree is answered from the per-file records rather than from a stored report.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from preplint.cache import FactsCache
from preplint.pipeline.incremental import State, state_classes
from tests.test_cli import run, write
from tests.test_notebook import notebook

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RERUN = re.compile(r"^re-lint (.+?): (.*)$", re.MULTILINE)


@pytest.fixture(autouse=True)
def _explain(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cached run says on stderr which files it re-lints, and why."""
    monkeypatch.setenv("PREPLINT_EXPLAIN_RERUNS", "1")


def _copy(root: Path, *projects: str) -> None:
    for name in projects:
        shutil.copytree(FIXTURES / name, root / name)


def _fresh(root: Path, *extra: str) -> tuple[int, str]:
    code, out, err = run(["check", "--no-cache", "--format", "json", *extra, "."], root)
    assert "Traceback" not in err
    return code, out


def _cached(root: Path, *extra: str) -> tuple[int, str, str]:
    shutil.rmtree(root / "cache" / "runs", ignore_errors=True)
    return run(["check", "--cache-dir", "cache", "--format", "json", *extra, "."], root)


def _reruns(err: str) -> dict[str, str]:
    return dict(RERUN.findall(err))


def _same(root: Path, *extra: str) -> tuple[str, dict[str, str]]:
    """A cached run and a fresh run agree byte for byte; the output and the re-linted files."""
    code, out, err = _cached(root, *extra)
    assert "Traceback" not in err and "internal error" not in err.lower()
    assert (code, out) == _fresh(root, *extra)
    return out, _reruns(err)


def _codes(out: str) -> list[tuple[str, str, int]]:
    return sorted((d["path"], d["code"], d["line"]) for d in json.loads(out)["diagnostics"])


def _edit(root: Path, rel: str, change: Callable[[str], str]) -> None:
    path = root / rel
    before = path.read_text(encoding="utf-8")
    after = change(before)
    assert after != before, f"the edit of {rel} changed nothing"
    path.write_text(after, encoding="utf-8")


def _replace(old: str, new: str) -> Callable[[str], str]:
    return lambda text: text.replace(old, new)


def _sequence(root: Path, steps: list[Callable[[], None]]) -> list[str]:
    """Apply each step, comparing after each; the outputs (to check the steps mattered)."""
    outputs = [_same(root)[0]]
    for step in steps:
        step()
        outputs.append(_same(root)[0])
    return outputs


def _all_differ(outputs: list[str]) -> None:
    """Each edit changed the output (else the identity after it proves nothing)."""
    for before, after in zip(outputs, outputs[1:], strict=False):
        assert before != after


# --- 1. output identity ------------------------------------------------------------------------
#
# Each test whose edit reaches an unchanged file fails if a record whose deps broke were reused:
# the cached output would still hold that file's findings of before the edit (checked by making
# `plan()` reuse every record, and by dropping each kind of dep check in turn). The others guard
# what a changed file or a new configuration must redo.

TRAIN = """\
    import joblib
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from config import TRAIN_OUT

    scaler = StandardScaler()
    X = scaler.fit_transform(X_raw)
    clf = SVC().fit(X, y)
    joblib.dump(clf, TRAIN_OUT)
    """
PREDICT = """\
    import joblib
    import pandas as pd

    from config import PREDICT_IN

    def predict(path):
        clf = joblib.load(PREDICT_IN)
        rows = pd.read_csv(path)
        return clf.predict(rows)
    """
OTHER = "import numpy as np\nprint(np.zeros(3))\n"


def _linked_project(root: Path, predict_in: str) -> None:
    write(
        root,
        {
            "app/config.py": f'TRAIN_OUT = "artifacts/clf.joblib"\nPREDICT_IN = "{predict_in}"\n',
            "app/train.py": TRAIN,
            "app/predict.py": PREDICT,
            "tools/other.py": OTHER,
        },
    )


def test_config_constant_makes_and_breaks_a_link(tmp_path: Path) -> None:
    # Only config.py changes: the scripts' records must be dropped through their lookups of
    # `config` and the project-wide answers about the artifact path.
    _linked_project(tmp_path, "artifacts/old.joblib")
    config = "app/config.py"
    outputs = _sequence(
        tmp_path,
        [
            lambda: _edit(tmp_path, config, _replace("old.joblib", "clf.joblib")),
            lambda: _edit(
                tmp_path,
                config,
                _replace('PREDICT_IN = "artifacts/clf', 'PREDICT_IN = "artifacts/new'),
            ),
        ],
    )
    _all_differ(outputs)
    assert any(c == "PRE003" for _, c, _ in _codes(outputs[1]))
    assert not any(c == "PRE003" for _, c, _ in _codes(outputs[2]))


def test_new_loader_makes_a_link_and_removing_it_breaks_it(tmp_path: Path) -> None:
    # The loader's own findings are new work; what guards reuse here is the second half: a new
    # saver of the artifact an unchanged loader reads gives that loader a partner (PRE003).
    _linked_project(tmp_path, "artifacts/other.joblib")
    loader = """\
        import joblib
        import pandas as pd

        clf = joblib.load("artifacts/clf.joblib")
        print(clf.predict(pd.read_csv("rows.csv")))
        """
    saver = TRAIN.replace("from config import TRAIN_OUT", 'TRAIN_OUT = "artifacts/other.joblib"')
    outputs = _sequence(
        tmp_path,
        [
            lambda: write(tmp_path, {"app/score.py": loader}),
            lambda: _edit(tmp_path, "app/score.py", _replace("clf.joblib", "gone.joblib")),
            lambda: _edit(tmp_path, "app/score.py", _replace("gone.joblib", "clf.joblib")),
            lambda: (tmp_path / "app/score.py").unlink(),
            lambda: write(tmp_path, {"app/train_other.py": saver}),
            lambda: (tmp_path / "app/train_other.py").unlink(),
        ],
    )
    _all_differ(outputs)
    assert ("app/predict.py", "PRE003", 9) in _codes(outputs[5])
    assert not any(p == "app/predict.py" for p, _, _ in _codes(outputs[6]))


def test_lines_inserted_above_the_saver_move_related_locations(tmp_path: Path) -> None:
    # The loader's and the layer file's findings name lines of train.py; they are not edited,
    # so a stale record would keep the old line numbers.
    _copy(tmp_path, "keras_project")
    train = "keras_project/train.py"
    outputs = _sequence(
        tmp_path,
        [
            lambda: _edit(tmp_path, train, lambda t: "# a\n# b\n# c\n" + t),
            lambda: _edit(tmp_path, train, lambda t: "\n" * 7 + t),
        ],
    )
    assert "train.py:14" in outputs[0] and "train.py:17" in outputs[1]
    assert "train.py:24" in outputs[2]
    assert len(set(outputs)) == 3


SPLIT_CONFIG = 'TRAIN_OUT = "artifacts/clf.joblib"\nPREDICT_IN = "artifacts/clf.joblib"\n'


def test_new_module_takes_over_an_imported_name(tmp_path: Path) -> None:
    # app/train.py imports `config`; only lib/config.py exists, so that one is used. A new
    # app/config.py beside it takes over the name and points the save elsewhere.
    write(
        tmp_path,
        {
            "lib/config.py": SPLIT_CONFIG,
            "app/train.py": TRAIN,
            "app/predict.py": PREDICT.replace("PREDICT_IN", '"artifacts/clf.joblib"').replace(
                'from config import "artifacts/clf.joblib"\n', ""
            ),
            "tools/other.py": OTHER,
        },
    )
    near = 'TRAIN_OUT = "artifacts/elsewhere.joblib"\n'
    outputs = _sequence(
        tmp_path,
        [
            lambda: write(tmp_path, {"app/config.py": near}),
            lambda: (tmp_path / "app/config.py").unlink(),
            lambda: (tmp_path / "lib/config.py").unlink(),
        ],
    )
    _all_differ(outputs)
    assert any(c == "PRE003" for _, c, _ in _codes(outputs[0]))
    assert outputs[2] == outputs[0]


def test_custom_layer_renamed_and_deleted(tmp_path: Path) -> None:
    _copy(tmp_path, "keras_project")
    layers = "keras_project/layers.py"
    original = (tmp_path / layers).read_text(encoding="utf-8")
    outputs = _sequence(
        tmp_path,
        [
            lambda: _edit(tmp_path, layers, _replace("class FeatureCross", "class FeatureMix")),
            lambda: _edit(tmp_path, layers, lambda _: original),
            lambda: (tmp_path / layers).unlink(),
            lambda: write(tmp_path, {layers: original}),
        ],
    )
    _all_differ(outputs)
    assert outputs[0] == outputs[2] == outputs[4]
    assert any(c == "LOAD001" for _, c, _ in _codes(outputs[0]))


def test_syntax_error_introduced_and_fixed(tmp_path: Path) -> None:
    # A file that does not parse leaves the index: its partners lose (and then regain) what
    # it saved, and its own record is one without a summary.
    _copy(tmp_path, "keras_project", "torch_project")
    train = "keras_project/train.py"
    outputs = _sequence(
        tmp_path,
        [
            lambda: _edit(tmp_path, train, lambda t: t + "def broken(:\n"),
            lambda: _edit(tmp_path, train, _replace("def broken(:\n", "")),
        ],
    )
    _all_differ(outputs)
    assert any(c == "SYNTAX" for _, c, _ in _codes(outputs[1]))
    assert outputs[2] == outputs[0]


def test_suppression_comment_in_one_file(tmp_path: Path) -> None:
    # Guards the edited file's own record (its digest changed: reusing it would keep SAFE001)
    # and that every other re-lint is explained by a read of the edited file.
    _copy(tmp_path, "torch_project", "sklearn_project")
    predict = "torch_project/predict.py"
    out0 = _same(tmp_path)[0]
    _edit(
        tmp_path,
        predict,
        _replace("  # expect: SAFE001", "  # preplint: ignore[SAFE001]"),
    )
    out1, reruns = _same(tmp_path)
    assert reruns.get(predict) == "changed"
    # any other file re-linted is one whose analysis read the edited file
    assert {r for path, r in reruns.items() if path != predict} <= {f"uses {predict}"}
    assert ("SAFE001" in {c for _, c, _ in _codes(out0)}) and (
        "SAFE001" not in {c for _, c, _ in _codes(out1)}
    )


def test_config_change_recomputes_everything(tmp_path: Path) -> None:
    # Fails if the state key left out the configuration: the records of the last run would
    # be reused, with findings of codes now ignored (or of codes no longer selected).
    _copy(tmp_path, "torch_project", "sklearn_project")
    files = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.py")}
    out0 = _same(tmp_path)[0]
    write(tmp_path, {"pyproject.toml": '[tool.preplint]\nignore = ["SAFE001"]\n'})
    out1, reruns = _same(tmp_path)
    assert set(reruns) == files  # a new configuration: no record is reused
    _edit(tmp_path, "pyproject.toml", _replace('ignore = ["SAFE001"]', 'select = ["SEED"]'))
    out2, reruns = _same(tmp_path)
    assert set(reruns) == files
    assert len({out0, out1, out2}) == 3
    assert {c for _, c, _ in _codes(out2)} <= {"SEED001", "SEED002", "SEED003"}
    (tmp_path / "pyproject.toml").unlink()
    assert _same(tmp_path)[0] == out0
    # the same through the command line: no dependency file changes, only the configuration
    out3, reruns = _same(tmp_path, "--ignore", "SAFE001")
    assert set(reruns) == files and out3 == out1
    out4, reruns = _same(tmp_path, "--preview")
    assert set(reruns) == files
    assert _same(tmp_path)[0] == out0


def test_notebook_edit(tmp_path: Path) -> None:
    # The notebook saves the model an unchanged script loads: when the notebook's save moves,
    # a reused record of the script would keep its PRE003.
    _copy(tmp_path, "torch_project")
    book = "app/explore.ipynb"
    write(
        tmp_path,
        {
            "app/score.py": """\
                import joblib
                import pandas as pd

                clf = joblib.load("artifacts/nb.joblib")
                print(clf.predict(pd.read_csv("rows.csv")))
                """
        },
    )

    def cells(save_to: str, load: str = "torch.load('artifacts/tabular_net.pt')") -> bytes:
        return notebook(
            ("markdown", "# Fit a quick baseline\n"),
            (
                "code",
                "import joblib\nimport torch\nfrom sklearn.preprocessing import StandardScaler\n"
                "from sklearn.svm import SVC\n",
            ),
            (
                "code",
                f"state = {load}\nscaler = StandardScaler()\nX = scaler.fit_transform(X_raw)\n",
            ),
            ("code", f"joblib.dump(SVC().fit(X, y), '{save_to}')\n"),
        )

    outputs = _sequence(
        tmp_path,
        [
            lambda: write(tmp_path, {book: cells("artifacts/nb.joblib")}),
            lambda: write(tmp_path, {book: cells("artifacts/elsewhere.joblib")}),
            lambda: write(
                tmp_path,
                {
                    book: cells(
                        "artifacts/elsewhere.joblib",
                        "torch.load('artifacts/tabular_net.pt', weights_only=True)",
                    )
                },
            ),
            lambda: write(tmp_path, {book: cells("artifacts/nb.joblib")}),
            lambda: (tmp_path / book).unlink(),
        ],
    )
    _all_differ(outputs)
    assert ("app/score.py", "PRE003", 5) in _codes(outputs[1])
    assert any(p == book and c == "SAFE001" for p, c, _ in _codes(outputs[1]))
    assert not any(p == "app/score.py" for p, _, _ in _codes(outputs[2]))
    assert not any(p == book and c == "SAFE001" for p, c, _ in _codes(outputs[3]))
    assert outputs[4] == outputs[1] and outputs[5] == outputs[0]


def test_model_class_edit_reaches_the_scripts_that_build_it(tmp_path: Path) -> None:
    # predict.py is not edited: its MODE001 (no eval() before inference) needs the dropout
    # that model.py's class holds.
    _copy(tmp_path, "torch_project")
    model = "torch_project/model.py"
    original = (tmp_path / model).read_text(encoding="utf-8")
    assert "nn.Dropout(" in original
    outputs = _sequence(
        tmp_path,
        [
            lambda: _edit(
                tmp_path, model, lambda t: re.sub(r"nn\.Dropout\([^)]*\)", "nn.Identity()", t)
            ),
            lambda: _edit(tmp_path, model, lambda _: original),
        ],
    )
    _all_differ(outputs)
    assert outputs[2] == outputs[0]


def test_layer_arguments_edited_in_the_script_that_builds_it(tmp_path: Path) -> None:
    # layers.py is not edited: its LOAD002 depends on the arguments train.py passes.
    _copy(tmp_path, "keras_project")
    train = "keras_project/train.py"
    outputs = _sequence(
        tmp_path,
        [
            lambda: _edit(
                tmp_path, train, _replace("activation=keras.activations.gelu", 'activation="gelu"')
            ),
            lambda: _edit(
                tmp_path, train, _replace('activation="gelu"', "activation=keras.activations.gelu")
            ),
        ],
    )
    _all_differ(outputs)
    assert outputs[2] == outputs[0]


def test_saver_moved_to_another_folder(tmp_path: Path) -> None:
    _linked_project(tmp_path, "artifacts/clf.joblib")
    text = (tmp_path / "app/train.py").read_text(encoding="utf-8")

    def move(src: str, dst: str) -> None:
        (tmp_path / src).unlink()
        write(tmp_path, {dst: text})

    outputs = _sequence(
        tmp_path,
        [
            lambda: move("app/train.py", "jobs/nightly/train.py"),
            lambda: move("jobs/nightly/train.py", "app/train.py"),
        ],
    )
    _all_differ(outputs)
    assert outputs[2] == outputs[0]


TRAINER = """\
    from tensorflow import keras


    def fit(x, y):
        model = keras.Sequential([keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, epochs=3)
        model.save("artifacts/m.keras")
    """
RUN_TRAINER = """\
    import numpy as np
    from tensorflow import keras

    from trainer import fit

    keras.utils.set_random_seed(0)
    fit(np.zeros((4, 2)), np.zeros(4))
    """


def test_caller_edit_reaches_the_function_it_calls(tmp_path: Path) -> None:
    # trainer.py is not edited: whether its fit() is seeded (SEED001) is decided by its call
    # sites, read as a project-wide answer.
    write(tmp_path, {"app/trainer.py": TRAINER, "app/run.py": RUN_TRAINER, "tools/other.py": OTHER})
    seed = "keras.utils.set_random_seed(0)\n"
    outputs = _sequence(
        tmp_path,
        [
            lambda: _edit(tmp_path, "app/run.py", _replace(seed, "")),
            lambda: write(tmp_path, {"app/run.py": RUN_TRAINER}),
            lambda: write(tmp_path, {"app/run2.py": RUN_TRAINER.replace("    " + seed, "")}),
            lambda: (tmp_path / "app/run.py").unlink(),  # the seeded caller goes
            lambda: write(tmp_path, {"app/run.py": RUN_TRAINER}),
        ],
    )
    _all_differ(outputs)
    unseeded = ("app/trainer.py", "SEED001", 7)
    assert [unseeded in _codes(out) for out in outputs] == [False, True, False, False, True, False]


def test_dependency_file_edited(tmp_path: Path) -> None:
    _copy(tmp_path, "torch_project", "sklearn_project")
    requirements = "torch_project/requirements.txt"
    outputs = _sequence(
        tmp_path,
        [
            lambda: _edit(tmp_path, requirements, _replace("torch==2.3.1\n", "")),
            lambda: _edit(tmp_path, requirements, lambda t: t + "torch==2.3.1\n"),
        ],
    )
    _all_differ(outputs)
    assert outputs[2] == outputs[0]


def test_runs_over_part_of_the_tree_and_the_whole(tmp_path: Path) -> None:
    # The records of one run serve the next whatever it was asked to check. app/score.py
    # loads what only other/train.py saves: checked alone, app/ has no saver for it; checked
    # with other/, score.py's PRE003 appears without any file changing.
    _linked_project(tmp_path, "artifacts/clf.joblib")
    _copy(tmp_path, "keras_project")
    write(
        tmp_path,
        {
            "other/train.py": TRAIN.replace(
                "from config import TRAIN_OUT", 'TRAIN_OUT = "artifacts/shared.joblib"'
            ),
            "app/score.py": PREDICT.replace("from config import PREDICT_IN\n", "").replace(
                "PREDICT_IN", '"artifacts/shared.joblib"'
            ),
        },
    )
    outputs = []
    for paths in (["app"], ["."], ["app"], ["other", "app"], ["."], ["keras_project"], ["."]):
        shutil.rmtree(tmp_path / "cache" / "runs", ignore_errors=True)
        cached = run(["check", "--cache-dir", "cache", "--format", "json", *paths], tmp_path)
        fresh = run(["check", "--no-cache", "--format", "json", *paths], tmp_path)
        assert "Traceback" not in cached[2]
        assert cached[:2] == fresh[:2], paths
        outputs.append(fresh[1])
    linked = [("app/score.py", "PRE003", 8) in _codes(out) for out in outputs]
    assert linked == [False, True, False, True, True, False, True]


ARTIFACTS = ("artifacts/a.joblib", "artifacts/b.joblib", "artifacts/house_prices.keras")


def _random_edit(root: Path, rng: random.Random) -> str:
    """One edit of a kind the tests above take one at a time: a new or rewritten script,
    config, layer file, caller or notebook in one of a few folders, a path changed, a file
    deleted, lines inserted, a syntax error toggled, a suppression added."""
    folder = rng.choice(["a", "b", "a/sub"])
    present = sorted(p for p in root.rglob("*") if p.is_file() and "cache" not in p.parts)
    scripts = [p for p in present if p.suffix in (".py", ".ipynb")]
    kind = rng.randrange(10)
    if kind == 0 and scripts:
        victim = rng.choice(scripts)
        victim.unlink()
        return f"delete {victim}"
    if kind in (1, 2) and scripts:
        target = rng.choice(scripts)
        text = target.read_text(encoding="utf-8")
        named = [a for a in ARTIFACTS if a in text]
        if named:
            target.write_text(text.replace(rng.choice(named), rng.choice(ARTIFACTS)), "utf-8")
            return f"path in {target}"
    if kind == 3 and scripts:
        target = rng.choice([p for p in scripts if p.suffix == ".py"] or scripts)
        text = target.read_text(encoding="utf-8")
        if target.suffix == ".py":
            broken = "def broken(:\n"
            new = text.replace(broken, "") if broken in text else "# moved\n\n" + text + broken
            target.write_text(new, encoding="utf-8")
            return f"lines and syntax in {target}"
    if kind == 4 and scripts:
        target = rng.choice([p for p in scripts if p.suffix == ".py"] or scripts)
        lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
        if target.suffix == ".py" and lines:
            i = rng.randrange(len(lines))
            lines[i] = lines[i].rstrip("\n") + "  # preplint: ignore\n"
            target.write_text("".join(lines), encoding="utf-8")
            return f"suppression in {target}:{i + 1}"
    a, b = rng.choice(ARTIFACTS), rng.choice(ARTIFACTS)
    sources = {
        "config.py": f'TRAIN_OUT = "{a}"\nPREDICT_IN = "{b}"\n',
        "train.py": TRAIN,
        "predict.py": PREDICT,
        "layers.py": (FIXTURES / "keras_project/layers.py").read_text(encoding="utf-8"),
        "keras_train.py": (FIXTURES / "keras_project/train.py").read_text(encoding="utf-8"),
        "keras_predict.py": (FIXTURES / "keras_project/predict.py")
        .read_text(encoding="utf-8")
        .replace("MODEL_PATH)", f'"{b}")'),
        "trainer.py": TRAINER.replace("artifacts/m.keras", a),
        "run.py": RUN_TRAINER
        if rng.random() < 0.5
        else RUN_TRAINER.replace("    keras.utils", "    # "),
        "explore.ipynb": notebook(
            ("code", f"import joblib\nclf = joblib.load('{b}')\nclf.predict(X)\n")
        ),
    }
    name = rng.choice(sorted(sources))
    write(root, {f"{folder}/{name}": sources[name]})
    return f"write {folder}/{name}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_edit_sequences(tmp_path: Path, seed: int) -> None:
    # Edits of every kind above, mixed: each run must still equal a run without a cache.
    rng = random.Random(seed)
    for _ in range(8):
        _random_edit(tmp_path, rng)
    outputs = set()
    done = []
    for _ in range(20):
        done.append(_random_edit(tmp_path, rng))
        code, out, err = _cached(tmp_path)
        assert "Traceback" not in err
        assert (code, out) == _fresh(tmp_path), done
        outputs.add(out)
    assert len(outputs) >= 4


# --- 2. only what an edit can reach is re-linted ------------------------------------------------
#
# These fail if the records were never reused (every file re-linted), or if a file that an edit
# reaches were reused (then the expected file is missing from the re-lint lines).


def test_unchanged_tree_relints_nothing(tmp_path: Path) -> None:
    _copy(tmp_path, "keras_project", "torch_project", "sklearn_project")
    _, first = _same(tmp_path)
    assert len(first) == len(list(tmp_path.rglob("*.py")))  # no records yet: every file
    _, again = _same(tmp_path)
    assert again == {}


def test_edit_to_a_file_nobody_reads_relints_only_it(tmp_path: Path) -> None:
    _copy(tmp_path, "keras_project")
    _linked_project(tmp_path, "artifacts/clf.joblib")
    _same(tmp_path)
    _edit(tmp_path, "tools/other.py", lambda t: t + "print(np.ones(2))\n")
    _, reruns = _same(tmp_path)
    assert reruns == {"tools/other.py": "changed"}


def test_edit_to_a_shared_config_relints_its_importers_only(tmp_path: Path) -> None:
    _copy(tmp_path, "keras_project")
    _linked_project(tmp_path, "artifacts/clf.joblib")
    _same(tmp_path)
    _edit(tmp_path, "app/config.py", _replace("clf.joblib", "net.joblib"))
    _, reruns = _same(tmp_path)
    assert {"app/config.py", "app/train.py", "app/predict.py"} <= set(reruns)
    assert reruns["app/config.py"] == "changed"
    assert "tools/other.py" not in reruns


def test_edit_in_one_project_does_not_relint_a_sibling_project(tmp_path: Path) -> None:
    _copy(tmp_path, "keras_project", "torch_project")
    _same(tmp_path)
    _edit(tmp_path, "torch_project/train.py", lambda t: t + "\nprint('done')\n")
    _, reruns = _same(tmp_path)
    assert "torch_project/train.py" in reruns
    assert not any(path.startswith("keras_project/") for path in reruns)


# --- 3. a broken state never breaks a run --------------------------------------------------------

STATE_POISONS = [
    # (what is broken, pattern, replacement); "" as pattern: the file is cut in half
    ("truncated", "", ""),
    ("digest is a number", r'"digest":"[0-9a-f]{64}"', '"digest":12345'),
    ("deps index out of range", r'"files":\{"\$t":\[(\d+)', r'"files":{"$t":[99999'),
    ("unknown type tag", r'"\$":"StoredRecord"', '"$":"NoSuchRecord"'),
    ("read key of unknown kind", r'\{"\$t":\["events","all"\]\}', '{"$t":["no-such-kind","all"]}'),
    ("table entry not a pair", r'"files":\{"\$t":\[\{"\$t":\["', '"files":{"$t":[{"$t":[7,"'),
    # a JSON list inside a key is not hashable: it must not reach a dict lookup
    ("read key holding a list", r'\{"\$t":\["events","all"\]\}', '{"$t":["events",["all"]]}'),
]


def _states(cache: Path) -> list[Path]:
    return sorted((cache / "state").glob("*.json"))


@pytest.mark.parametrize(
    ("pattern", "replacement"), [p[1:] for p in STATE_POISONS], ids=[p[0] for p in STATE_POISONS]
)
def test_poisoned_state_is_ignored_and_rewritten(
    tmp_path: Path, pattern: str, replacement: str
) -> None:
    _copy(tmp_path, "keras_project", "torch_project")
    cache = tmp_path / "cache"
    train = tmp_path / "keras_project/train.py"
    original = train.read_text(encoding="utf-8")
    outputs = {_same(tmp_path)[0]}
    for shifted in (True, False):  # a bad state must not leave the next run a bad state either
        [state] = _states(cache)
        text = state.read_text(encoding="utf-8")
        poisoned = text[: len(text) // 2] if not pattern else re.sub(pattern, replacement, text)
        assert poisoned != text, f"nothing matched {pattern!r}"
        state.write_text(poisoned, encoding="utf-8")
        # An edit that moves what layers.py's finding names (train.py:14): a record taken from
        # the poisoned state as if valid would print the old line.
        train.write_text("# moved\n" * shifted + original, encoding="utf-8")
        outputs.add(_same(tmp_path)[0])
        [state] = _states(cache)
        assert isinstance(FactsCache(cache).get_state(state.stem, state_classes()), State)
    assert len(outputs) == 2
    # and the rewritten state is used: nothing is re-linted
    assert _same(tmp_path)[1] == {}


def test_unknown_read_key_relints_the_files_that_read_it(tmp_path: Path) -> None:
    # A project-wide question this version cannot answer cannot vouch for a record: were it
    # taken as still holding, nothing would be re-linted here.
    _copy(tmp_path, "keras_project")
    expected = _same(tmp_path)[0]
    [state] = _states(tmp_path / "cache")
    text = state.read_text(encoding="utf-8")
    poisoned = text.replace('{"$t":["events","all"]}', '{"$t":["no-such-kind","all"]}')
    assert poisoned != text
    state.write_text(poisoned, encoding="utf-8")
    out, reruns = _same(tmp_path)
    assert out == expected
    assert reruns and set(reruns.values()) == {"read ('no-such-kind', 'all')"}
    assert _same(tmp_path)[1] == {}


# --- 4. workers ---------------------------------------------------------------------------------


def _many(root: Path, packages: int, per_package: int) -> None:
    """`packages` copies of the linked project, each with `per_package` trainers and loaders."""
    files: dict[str, str | bytes] = {}
    for k in range(packages):
        files[f"pkg{k}/config.py"] = (
            'TRAIN_OUT = "artifacts/clf.joblib"\nPREDICT_IN = "artifacts/old.joblib"\n'
        )
        for i in range(per_package):
            files[f"pkg{k}/train_{i}.py"] = TRAIN
            files[f"pkg{k}/predict_{i}.py"] = PREDICT
    write(root, files)


def test_workers_give_the_same_output(tmp_path: Path) -> None:
    # The forked rules pool must send back what each file used: if it did not, the records
    # of the files linted in workers would hold no deps, and the loaders would keep their
    # findings of before the config edit.
    _many(tmp_path, 2, 12)
    assert len(list(tmp_path.rglob("*.py"))) >= 30
    out0, reruns = _same(tmp_path, "--jobs", "2")
    assert len(reruns) >= 48  # enough for the rules to run in the pool (24 files or more)
    config = (tmp_path / "pkg1/config.py").read_text(encoding="utf-8")
    _edit(tmp_path, "pkg1/config.py", _replace("old.joblib", "clf.joblib"))
    out1, reruns = _same(tmp_path, "--jobs", "2")
    assert any(p.startswith("pkg1/predict_") and c == "PRE003" for p, c, _ in _codes(out1))
    assert not any(p.startswith("pkg0/") and c == "PRE003" for p, c, _ in _codes(out1))
    assert {f"pkg1/predict_{i}.py" for i in range(12)} <= set(reruns)
    assert len(reruns) >= 24  # pkg1 alone: the re-lint itself runs in the pool too
    _edit(tmp_path, "pkg1/config.py", lambda _: config)
    assert _same(tmp_path, "--jobs", "2")[0] == out0
    # records made by workers serve a run without them, and the other way round
    _edit(tmp_path, "pkg0/config.py", _replace("old.joblib", "clf.joblib"))
    out2, _ = _same(tmp_path, "--jobs", "1")
    assert any(p.startswith("pkg0/predict_") and c == "PRE003" for p, c, _ in _codes(out2))
    _edit(
        tmp_path,
        "pkg0/config.py",
        _replace('PREDICT_IN = "artifacts/clf', 'PREDICT_IN = "artifacts/old'),
    )
    assert _same(tmp_path, "--jobs", "2")[0] == out0
