"""ENV001 (unpinned-framework): Flags a project that saves model artifacts (Keras, PyTorch, scikit-learn, XGBoost ...) but does not pin the framework that writes them to one version in its dependency files (requirements*.txt, pyproject.toml, environment.yml, setup.cfg)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from preplint.analysis.artifacts import partners
from preplint.analysis.calls import call_sites
from preplint.analysis.context import FileContext
from preplint.analysis.objects import binding_of
from preplint.analysis.records import ArtifactEvent
from preplint.analysis.saving import _artifact, torch_saved_content
from preplint.analysis.scopes import enclosing_functions
from preplint.diagnostics import Severity, Span
from preplint.facts.deps import dependency_entries, governing, own_frameworks
from preplint.facts.model import FileFacts
from preplint.facts.project import ProjectIndex
from preplint.rules import Finding, rule

_PACKAGING_FILES = ("setup.py", "setup.cfg", "pyproject.toml")


def _event_framework(index: ProjectIndex, event: ArtifactEvent) -> str:
    if event.action != "save":
        return ""
    if event.api in (
        "keras-save",
        "keras-save-weights",
        "keras-checkpoint",
        "keras-checkpoint-weights",
    ):
        return "transformers" if event.obj_kind == "hf-model" else "tensorflow"
    if event.api == "torch-save":
        return "torch" if _holds_a_model(index, event) else ""
    if event.api in ("jit-save", "lightning-checkpoint"):
        return "torch"
    if event.api == "pickle-dump" and event.obj_kind in (
        "sklearn-model",
        "pipeline",
        "preprocessor",
    ):
        facts = index.file(event.file)
        if facts is None:
            return ""
        call = facts.call_by_id[event.call]
        b = binding_of(facts, event.obj.split(".", 1)[0], call.scope, call.stmt, index)
        cls = b.cls if b is not None else ""
        for lib in ("xgboost", "lightgbm", "catboost"):
            if cls.startswith(lib):
                return lib
        if b is not None and b.framework == "keras":
            return "tensorflow"
        return "scikit-learn"
    return ""


_MODEL_WORDS = re.compile(r"state_dict|model|net|checkpoint|ckpt|encoder|decoder|generator", re.I)


def _holds_a_model(index: ProjectIndex, event: ArtifactEvent) -> bool:
    """A `torch.save` of a model: a module, a `state_dict()`, or a dict holding one. Tensors and
    arrays saved as data (`torch.save(data, "traindata.pt")`) are not a model artifact."""
    if event.obj_kind == "torch-module" or torch_saved_content(index, event) == "objects":
        return True
    if _MODEL_WORDS.search(event.obj):
        return True
    facts = index.file(event.file)
    if facts is None or not event.obj.isidentifier():
        return False
    call = facts.call_by_id[event.call]
    assign = facts.reaching_assign(event.obj, call.scope, call.stmt)
    return assign is not None and bool(_MODEL_WORDS.search(assign.value.text))


def _unreadable(text: str) -> bool:
    """Text that was not decoded as written: NUL characters (UTF-16 read as UTF-8) or
    replacement characters."""
    return "\x00" in text or "\ufffd" in text


def _own_reload(index: ProjectIndex, event: ArtifactEvent, reader: ArtifactEvent) -> bool:
    """The reading file writes the same artifact itself: it reads its own (sibling notebooks
    that each save and reload a `model.pt` of their own)."""
    return reader.file == event.file or any(
        s.file == reader.file for s in partners(index, reader, "save")
    )


def _reloaded_in_place(index: ProjectIndex, event: ArtifactEvent) -> bool:
    """Every load of the artifact is in a file that writes it: the same run (a notebook that
    saves the best epoch and reloads it for the test set) reads it with the same install."""
    readers = partners(index, event, "load")
    return bool(readers) and all(_own_reload(index, event, r) for r in readers)


def _read_elsewhere(index: ProjectIndex, event: ArtifactEvent) -> bool:
    """Another file (an app, a serving script) that does not write it loads the artifact: it
    crosses installs."""
    return any(not _own_reload(index, event, r) for r in partners(index, event, "load"))


def _is_test_file(path: str) -> bool:
    """A test module: what it saves goes to a temporary folder, not to a later install."""
    parts = path.replace("\\", "/").split("/")
    base = parts[-1]
    if base.startswith("test_") or base.endswith("_test.py") or base == "conftest.py":
        return True
    return any(part in ("tests", "test") for part in parts[:-1])


def _saves(index: ProjectIndex, event: ArtifactEvent) -> str:
    """The framework of an artifact the project itself writes, or ''.

    Saves in tests write to temporary folders. A save in a library module (accelerate's
    `save_state`, a trainer class) writes where its caller says: the application that
    calls it pins the framework, not the library. A save counts when the project names
    the file it writes, or when a script of the project calls the function that saves.
    """
    if _is_test_file(event.file):
        return ""
    facts = index.file(event.file)
    if facts is None:
        return ""
    if not _named_by_project(event.path, _is_script(facts)) and not _called_from_script(
        facts, event, index
    ):
        return ""
    return _event_framework(index, event)


def _counts(index: ProjectIndex, event: ArtifactEvent, library: bool) -> bool:
    """A save that makes the project one that ships artifacts. A distributed package's
    own files (a CLI that converts the checkpoint its user names) write for their user,
    who pins the framework; only artifacts the package names itself count there."""
    if not _saves(index, event):
        return False
    return not library or bool(event.path) and not event.path.startswith("*")


# A package that others install, whose dependency ranges are deliberately loose: a
# pyproject `[project]`/`[tool.poetry]` table, setup.cfg `[metadata]`/`[options]`, any setup.py.
_DISTRIBUTION = re.compile(r"^\[(?:project|tool\.poetry|metadata|options)\]\s*$", re.M)


def _is_library(index: ProjectIndex, project: tuple[str, ...]) -> bool:
    """The project is a distributed package with no application pin file of its own."""
    names = [posixpath.basename(p) for p in project]
    if any(
        n.startswith("requirements") or n.startswith("environment") or n == "Pipfile" for n in names
    ):
        return False
    return any(
        posixpath.basename(p) == "setup.py" or _DISTRIBUTION.search(index.dependency_files[p])
        for p in project
    )


def _named_by_project(path: str, script: bool) -> bool:
    """A literal path (`models/clf.joblib`), or in a script a literal file name in a folder
    taken from its arguments (`os.path.join(args.out, "model.pt")`)."""
    if not path:
        return False
    if not path.startswith("*"):
        return True
    return script and posixpath.basename(path) not in ("", "*")


def _is_script(facts: FileFacts) -> bool:
    """A file that does work when run: a `__main__` guard, or module-level training or saving."""
    return facts.main_guard or any(
        call.scope == "" and call.method in ("fit", "backward", "save", "save_weights")
        for call in facts.calls
    )


def _called_from_script(facts: FileFacts, event: ArtifactEvent, index: ProjectIndex) -> bool:
    """The function that saves is called by a script of the project (`train.py` calling
    `mypkg.checkpoint.save_state(model, out_dir)`)."""
    scope = facts.call_by_id[event.call].scope
    return any(
        _is_script(site_file) and not _is_test_file(site_file.path)
        for fn in enclosing_functions(facts, scope)
        for site_file, _ in call_sites(facts, fn, index)
    )


@rule(
    "ENV001",
    "unpinned-framework",
    severity="info",
    probe="version-drift",
    positives=[
        {
            "train.py": """
import torch
model = torch.nn.Linear(4, 2)
torch.save(model, "model.pt")
""",
            "requirements.txt": "numpy==1.26.4\ntorch>=2.0  # expect: ENV001\n",
        },
        {
            "train.py": """
from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(1)])
model.save("model.keras")
""",
            "requirements.txt": "numpy==1.26.4  # expect: ENV001\npandas==2.2.2\n",
        },
        {
            "train.py": """
import joblib
from sklearn.linear_model import LogisticRegression
from config import MODEL_PATH
clf = LogisticRegression().fit(X, y)
joblib.dump(clf, MODEL_PATH)  # expect: ENV001
""",
            "config.py": 'MODEL_PATH = "clf.joblib"\n',
        },
        # conda-pip-loose
        {
            "train.py": """import torch
torch.save(model.state_dict(), "m.pt")
""",
            "environment.yml": """name: x
dependencies:
  - python=3.11
  - pip:
    - torch>=2.0  # expect: ENV001
""",
        },
        # poetry-caret
        {
            "train.py": """import torch
torch.save(model.state_dict(), "m.pt")
""",
            "pyproject.toml": """[tool.poetry.dependencies]
python = "^3.11"
torch = "^2.1"  # expect: ENV001
""",
        },
        # second-framework-missing
        {
            "train.py": """import torch
torch.save(model.state_dict(), "m.pt")
""",
            "fit_ridge.py": """
import joblib
from sklearn.linear_model import Ridge
reg = Ridge().fit(X, y)
joblib.dump(reg, "ridge.joblib")
""",
            "requirements.txt": """torch==2.3.1  # expect: ENV001
numpy==1.26.4
""",
        },
        # setup-cfg-range
        {
            "train.py": """
import joblib
from sklearn.linear_model import Ridge
reg = Ridge().fit(X, y)
joblib.dump(reg, "ridge.joblib")
""",
            "setup.cfg": """[options]
install_requires =
    numpy==1.26.4
    scikit-learn>=1.3  # expect: ENV001
""",
        },
        # torchvision-is-not-torch
        {
            "train.py": """import torch
torch.save(model.state_dict(), "m.pt")
""",
            "requirements.txt": """torchvision==0.18.1  # expect: ENV001
pytorch-lightning==2.2.0
""",
        },
        # no-dependency-file-project
        {
            "train.py": """import torch
torch.save(  # expect: ENV001
    model.state_dict(), "m.pt")
""",
            "predict.py": """import torch
state = torch.load("m.pt", weights_only=True)
""",
        },
        # package-name-is-not-a-dependency
        {
            "train.py": 'import torch\nimport keras\nkeras.Sequential().save("m.keras")\ntorch.save(net, "n.pt")\n',
            "pyproject.toml": '[project]\nname = "keras"\ndependencies = ["torch>=2.1"]  # expect: ENV001\n',
        },
        # author-name-is-not-an-entry
        {
            "train.py": 'import keras\nmodel = keras.Sequential()\nmodel.save("m.keras")\n',
            "pyproject.toml": (
                '[project]\nname = "demo"\nauthors = [\n    {name = "Keras fans", email = "k@example.org"},\n]\n'
                'dependencies = ["tensorflow>=2.16"]  # expect: ENV001\n'
            ),
        },
        # library-function-called-by-a-script
        {
            "src/ckpt/io.py": (
                "import os\nimport torch\n\n"
                "def save_state(model, output_dir):\n"
                '    torch.save(model.state_dict(), os.path.join(output_dir, "model.bin"))\n'
            ),
            "train.py": (
                "import torch\nfrom ckpt.io import save_state\n\n"
                "def main():\n    net = torch.nn.Linear(2, 2)\n    save_state(net, 'out')\n\n"
                'if __name__ == "__main__":\n    main()\n'
            ),
            "requirements.txt": "torch>=2.0  # expect: ENV001\n",
        },
        # script-saves-into-its-output-folder
        {
            "train.py": (
                "import argparse, os\nimport torch\n\n"
                "def main(args):\n    net = torch.nn.Linear(2, 2)\n"
                '    torch.save(net.state_dict(), os.path.join(args.out, "model.pt"))\n\n'
                'if __name__ == "__main__":\n    main(argparse.ArgumentParser().parse_args())\n'
            ),
            "utils.py": "import torch\n",
            "requirements.txt": "torch>=2.0  # expect: ENV001\n",
        },
        # setup-py-extras-key-is-not-an-entry
        {
            "train.py": """import torch
torch.save(model.state_dict(), "m.pt")
""",
            "setup.py": """from setuptools import setup
setup(
    name="demo",
    extras_require={"pytorch": ["lightning"]},
    install_requires=["torch>=2.1"],  # expect: ENV001
)
""",
        },
        # script-besides-tests
        {
            "train.py": """import torch
torch.save(model.state_dict(), "m.pt")
""",
            "tests/test_train.py": """import torch

def test_save(tmp_path):
    torch.save(model.state_dict(), tmp_path / "m.pt")
""",
            "requirements.txt": """torch>=2.0  # expect: ENV001
""",
        },
        # monorepo-two-projects
        {
            "a/train.py": """import torch
torch.save(model.state_dict(), "m.pt")
""",
            "a/requirements.txt": """torch  # expect: ENV001
""",
            "b/train.py": """
import joblib
from sklearn.linear_model import Ridge
reg = Ridge().fit(X, y)
joblib.dump(reg, "ridge.joblib")
""",
            "b/requirements.txt": """scikit-learn==1.5.1
""",
        },
        # pickled-estimator-served-by-an-app
        {
            "requirements.txt": "flask\nscikit-learn  # expect: ENV001\n",
            "model.py": (
                "import pickle\nfrom sklearn.linear_model import LinearRegression\n"
                "reg = LinearRegression()\nreg.fit(X, y)\n"
                'pickle.dump(reg, open("model.pkl", "wb"))\n'
            ),
            "app.py": (
                "import pickle\nfrom flask import Flask\napp = Flask(__name__)\n"
                'model = pickle.load(open("model.pkl", "rb"))\n'
            ),
        },
    ],
    negatives=[
        # unrelated-packaging-file-above: the only dependency file is a helper package's
        # setup.py at the repository root, naming no ML framework (preview part, at info).
        {
            "setup.py": """
            from setuptools import setup
            setup(name="helpers", install_requires=["numpy>=1.20", "requests"])
            """,
            "examples/notebooks/train.py": """
            import torch
            import torch.nn as nn
            net = nn.Linear(4, 2)
            opt = torch.optim.SGD(net.parameters(), lr=0.1)
            net(torch.randn(8, 4)).sum().backward()
            opt.step()
            torch.save(net.state_dict(), "net.pt")
            """,
            "examples/notebooks/predict.py": """
            import torch
            import torch.nn as nn
            net = nn.Linear(4, 2)
            net.load_state_dict(torch.load("net.pt", weights_only=True))
            """,
        },
        # dependency-file-in-utf16-is-not-read-as-missing
        {
            "environment.yml": "name: tf\ndependencies:\n  - pip:\n    - tensorflow==2.8.0\n".encode(
                "utf-16"
            ).decode("utf-8", errors="replace"),
            "train.py": 'import keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.save("m.keras")\n',
            "serve.py": 'import keras\nmodel = keras.models.load_model("m.keras")\n',
        },
        # saved-and-reloaded-in-the-same-run (preview part, at info)
        {
            "requirements.txt": "torch>=2.0\nmatplotlib\n",
            "lesson.py": (
                "import torch\nmodel = Net()\nfor epoch in range(5):\n    train(model)\n"
                '    torch.save(model.state_dict(), "best.pt")\n'
                'model.load_state_dict(torch.load("best.pt", weights_only=True))\n'
            ),
            "plots.py": "import matplotlib.pyplot as plt\nplt.plot([1, 2])\n",
        },
        # torch-save-of-data-not-a-model
        {
            "requirements.txt": "torch<2.6\nnumpy\n",
            "make_data.py": (
                "import numpy as np\nimport torch\n"
                "data = np.sin(np.arange(1000) / 20.0)\n"
                'torch.save(data, open("traindata.pt", "wb"))\n'
            ),
            "train.py": 'import torch\ndata = torch.load("traindata.pt", weights_only=False)\n',
        },
        {
            "train.py": """
import torch
torch.save(model.state_dict(), "model.pt")
""",
            "requirements.txt": "torch==2.3.1\n",
        },
        {
            "train.py": """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.fit(x, y)
model.save("m.keras")
""",
            "pyproject.toml": '[project]\nname = "demo"\ndependencies = ["tensorflow==2.16.1", "numpy>=1.26"]\n',
        },
        {
            "predict.py": """
import torch
model = torch.load("model.pt", weights_only=True)
""",
            "requirements.txt": "torch\n",
        },
        {
            "tests/test_checkpoint.py": """
import torch

def test_state_dict_round_trip(tmp_path):
    net = torch.nn.Linear(4, 2)
    torch.save(net.state_dict(), tmp_path / "net.pt")
""",
            "requirements.txt": "torch>=2.0\n",
        },
        # conda-pin
        {
            "train.py": """import torch
torch.save(model.state_dict(), "m.pt")
""",
            "environment.yml": """name: x
dependencies:
  - python=3.11
  - pytorch=2.3.1
""",
        },
        # poetry-exact
        {
            "train.py": """import torch
torch.save(model.state_dict(), "m.pt")
""",
            "pyproject.toml": """[tool.poetry.dependencies]
torch = "2.1.0"
""",
        },
        # local-version-and-extras
        {
            "train.py": 'import tensorflow as tf\nmodel = tf.keras.Sequential()\nmodel.save("m.keras")\n',
            "requirements.txt": "tensorflow[and-cuda]==2.16.1\n",
        },
        # cuda-wheel-pin
        {
            "train.py": """import torch
torch.save(model.state_dict(), "m.pt")
""",
            "requirements.txt": """--extra-index-url https://wheels.example.invalid/cu121
torch==2.3.1+cu121
""",
        },
        # pinned-in-one-file-is-enough
        {
            "train.py": """
import joblib
from sklearn.linear_model import Ridge
reg = Ridge().fit(X, y)
joblib.dump(reg, "ridge.joblib")
""",
            "requirements.txt": """scikit-learn==1.5.1
""",
            "pyproject.toml": """[project]
name = "demo"
dependencies = ["scikit-learn>=1.3"]
""",
        },
        # framework-own-source-tree
        {
            "keras/callbacks/embeddings.py": (
                "import keras\n\nclass EmbeddingSaver(keras.callbacks.Callback):\n"
                "    def on_epoch_end(self, epoch, logs=None):\n"
                '        self.model.save_weights(f"{self.log_dir}/emb-{epoch}.weights.h5")\n'
            ),
            "pyproject.toml": '[project]\nname = "keras"\ndependencies = ["numpy", "h5py"]\n',
        },
        # library-module-saves-where-its-caller-says
        {
            "src/ckpt/io.py": (
                "import os\nimport torch\n\n"
                "def save_state(model, output_dir):\n"
                '    torch.save(model.state_dict(), os.path.join(output_dir, "model.bin"))\n'
            ),
            "setup.py": 'from setuptools import setup\nsetup(name="ckpt", install_requires=["torch>=2.0"])\n',
        },
        # package-cli-writes-where-its-user-says
        {
            "src/ckpt/consolidate.py": (
                "import argparse\nimport torch\n\n"
                "def main(args):\n    state = torch.load(args.src, weights_only=True)\n"
                "    torch.save(state, args.dst)\n\n"
                'if __name__ == "__main__":\n    main(argparse.ArgumentParser().parse_args())\n'
            ),
            "src/ckpt/__init__.py": "",
            "pyproject.toml": '[project]\nname = "ckpt"\ndependencies = ["torch>=2.1"]\n',
        },
        # saves-only-in-tests
        {
            "src/lib.py": "import torch\n\ndef build():\n    return torch.nn.Linear(2, 2)\n",
            "tests/test_export.py": 'import torch\n\ndef test_roundtrip(tmp_path):\n    torch.save(model.state_dict(), tmp_path / "m.pt")\n',
            "requirements.txt": "torch>=2.0\n",
        },
    ],
)
def unpinned_framework(ctx: FileContext) -> Iterator[Finding]:
    """What it does:
    Flags a project that saves model artifacts (Keras, PyTorch, scikit-learn, XGBoost ...) but does
    not pin the framework that writes them to one version in its dependency files
    (requirements*.txt, pyproject.toml, environment.yml, setup.cfg). Reported once per project:
    on the unpinned entry of the nearest dependency file, on its first line when the framework
    is missing, or on the first saving script when a project of several files has no dependency
    file at all (a lone script linted by itself is not judged: its dependency files are not in view).
    Saves in test modules (`test_*.py`, `*_test.py`, files under `tests/`) do not count: they
    write to temporary folders, not to the artifacts a later install loads. Nor do saves in a
    library module to a place its caller chooses (a `save_state(model, output_dir)` helper),
    unless a script of the project calls it: the application that uses a library pins the
    framework, not the library. A framework's own project (`name = "keras"`) is not asked
    to pin itself.

    Why is this bad?:
    An artifact is read by the version of the framework that is installed when it is loaded.
    Pickled scikit-learn estimators refuse or mis-load across versions, Keras changed its file
    format and layer configs between 2.x and 3, and torch changed `torch.load` defaults. A later
    `pip install` gives the inference service another version than the one that trained the model.

    Example:
    ```text
    # requirements.txt
    torch>=2.0
    ```

    Use instead:
    ```text
    # requirements.txt
    torch==2.3.1
    ```

    Only model artifacts count: a module, a `state_dict()` or a dict holding one, a fitted
    estimator, a Keras model or checkpoint; tensors and arrays saved as data do not. The finding
    is a warning when another file of the project (an app, a serving script) reads an artifact
    that a script writes: the link across installs is seen. Otherwise it stays info.

    Preview:
    A project whose every artifact is read back only by the file that wrote it (a notebook that
    saves the best epoch and reloads it for the test set) is reported only in preview: the same
    run reads it with the same install. It leaves preview when preplint can tell such a
    resume-or-evaluate reload from a notebook meant to be re-run later against saved files.

    References:
    - https://scikit-learn.org/stable/model_persistence.html#security-maintainability-limitations
    - https://pip.pypa.io/en/stable/topics/repeatable-installs/
    """
    facts, index = ctx.facts, ctx.index
    project = governing(index, facts.path)
    library = _is_library(index, project)
    mine = [e for e in ctx.artifact_events if _counts(index, e, library)]
    if not mine:
        return
    # Every saving script governed by the same dependency files is one project; its first reports.
    scripts: dict[str, list[ArtifactEvent]] = {}
    for event in ctx.project_events:
        # Governed by the same files first: that needs no other file's facts.
        if governing(index, event.file) == project and _counts(index, event, library):
            scripts.setdefault(event.file, []).append(event)
    if not scripts or min(scripts) != facts.path:
        return
    frameworks = sorted({_event_framework(index, e) for events in scripts.values() for e in events})
    # A framework's own source tree (keras saving in its callbacks) does not pin itself.
    own = {fw for path in project for fw in own_frameworks(index.dependency_files[path])}
    frameworks = [fw for fw in frameworks if fw not in own]
    entries = {path: dependency_entries(index.dependency_files[path]) for path in project}
    unpinned = [
        fw
        for fw in frameworks
        if not any(e.framework == fw and e.pinned for es in entries.values() for e in es)
    ]
    if not unpinned:
        return
    names = ", ".join(f"`{fw}`" for fw in unpinned)
    events = [e for es in scripts.values() for e in es if _event_framework(index, e) in unpinned]
    crossing = [e for e in events if _read_elsewhere(index, e)]
    in_place = all(_reloaded_in_place(index, e) for e in events)
    # A file of the project reads what another writes: the link is seen.
    severity = Severity.WARNING if crossing else None
    shown = crossing or [e for e in events if _artifact(e.path)]
    artifact = _artifact(shown[0].path) if shown else None
    if not project:
        if index.file_count(facts) < 2:
            return  # one script linted alone: its project's dependency files are simply not in view
        first = min(mine, key=lambda e: facts.call_by_id[e.call].stmt)
        yield Finding(
            facts.call_by_id[first.call].span,
            f"this project saves {names} artifacts but has no dependency file pinning {names}: "
            "a later install may load them with another version; add a requirements.txt with exact versions",
            severity=severity,
            preview=in_place,
            artifact=artifact,
        )
        return
    for path in project:
        loose = [e for e in entries[path] if e.framework in unpinned and not e.pinned]
        if loose:
            entry = min(loose, key=lambda e: e.line)
            yield Finding(
                Span(entry.line, 1, entry.line, len(entry.text) + 1),
                f"{names} not pinned to one version (`{entry.text}`) but this project saves its artifacts: "
                "a later install may load them with another version; pin it with `==`",
                path=path,
                severity=severity,
                preview=in_place,
                artifact=artifact,
            )
            return
    if any(_unreadable(index.dependency_files[p]) for p in project):
        return  # a file that was not decoded (UTF-16) may well list the framework: not seen missing
    path = project[0]
    first_line = (index.dependency_files[path].splitlines() or [""])[0]
    # Only packaging files from folders above the scripts, naming no ML framework at all: they
    # likely build another package (a helper library at the repository root), not this code.
    unrelated = (
        all(posixpath.basename(p) in _PACKAGING_FILES for p in project)
        and not any(e.framework for es in entries.values() for e in es)
        and all(
            posixpath.dirname(p) != posixpath.dirname(script) for p in project for script in scripts
        )
    )
    yield Finding(
        Span(1, 1, 1, len(first_line) + 1),
        f"{names} missing from the dependency files but this project saves its artifacts: "
        "a later install may load them with another version; add it with an exact version"
        + (
            f" (`{path}` names no ML framework and sits above the saving scripts: it may build "
            "another package)"
            if unrelated
            else ""
        ),
        path=path,
        severity=Severity.INFO if unrelated else severity,
        preview=in_place or unrelated,
        artifact=artifact,
    )
