"""LOAD/SAFE/ENV parts in the preview tier, severities that follow the evidence, and findings
that carry the artifact their confirmation probe opens."""

from __future__ import annotations

import textwrap

from preplint.config import Config
from preplint.diagnostics import Diagnostic
from preplint.engine import lint_sources


def _lint(sources: dict[str, str], preview: bool = False) -> list[Diagnostic]:
    files = {p: textwrap.dedent(s).lstrip("\n") for p, s in sources.items()}
    return list(lint_sources(files, Config(preview=preview)).diagnostics)


def _of(found: list[Diagnostic], code: str) -> list[Diagnostic]:
    return [d for d in found if d.code == code]


NEVER_SAVED_LAYER = """
from tensorflow import keras

class Dense2(keras.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

model = keras.models.Sequential([Dense2(30, activation=keras.activations.relu), Dense2(1)])
model.fit(x, y)
"""


def test_load002_never_saved_layer_is_preview_at_info() -> None:
    assert _of(_lint({"nb.py": NEVER_SAVED_LAYER}), "LOAD002") == []
    (found,) = _of(_lint({"nb.py": NEVER_SAVED_LAYER}, preview=True), "LOAD002")
    assert found.preview and found.severity.label == "info"
    assert "no whole-model save" in found.message


def test_load002_saved_layer_is_an_error_with_its_artifact() -> None:
    saved = NEVER_SAVED_LAYER + 'model.save("dense2.keras")\n'
    (found,) = _of(_lint({"nb.py": saved}), "LOAD002")
    assert not found.preview and found.severity.label == "error"
    assert found.artifact == "dense2.keras"


def test_load002_library_layer_unused_in_the_run_is_a_warning() -> None:
    lib = NEVER_SAVED_LAYER.split("model =")[0]
    (found,) = _of(_lint({"blocks.py": lib}), "LOAD002")
    assert not found.preview and found.severity.label == "warning"


def test_load002_checkpoint_callback_counts_as_the_save() -> None:
    ckpt = NEVER_SAVED_LAYER.replace(
        "model.fit(x, y)",
        'model.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("best.keras")])',
    )
    (found,) = _of(_lint({"nb.py": ckpt}), "LOAD002")
    assert found.severity.label == "error" and found.artifact == "best.keras"
    weights_only = ckpt.replace('"best.keras")', '"best.weights.h5", save_weights_only=True)')
    assert _of(_lint({"nb.py": weights_only}), "LOAD002") == []


SAVE_WHOLE = 'import torch\nmodel = Net()\ntorch.save(model, "artifacts/net.pt")\n'
SAVE_STATE = (
    "import torch\nmodel = Net()\n"
    'torch.save({"net": model.state_dict(), "epoch": 3}, "artifacts/net.pt")\n'
)
LOAD = 'import torch\nstate = torch.load("artifacts/net.pt")\n'


def test_safe001_whole_module_saved_is_a_warning_with_the_artifact() -> None:
    (found,) = _of(_lint({"train.py": SAVE_WHOLE, "serve.py": LOAD}), "SAFE001")
    assert found.severity.label == "warning"
    assert "pickled objects" in found.message
    assert found.artifact == "artifacts/net.pt"
    assert found.related and found.related[0].path == "train.py"


def test_safe001_state_dicts_only_is_info() -> None:
    (found,) = _of(_lint({"train.py": SAVE_STATE, "serve.py": LOAD}), "SAFE001")
    assert found.severity.label == "info"
    assert "only state_dicts" in found.message
    assert found.artifact == "artifacts/net.pt"


def test_safe001_unseen_saver_stays_a_warning() -> None:
    (found,) = _of(_lint({"serve.py": LOAD}), "SAFE001")
    assert found.severity.label == "warning"
    assert "unpickles arbitrary code" in found.message
    assert found.artifact == "artifacts/net.pt"
    unknown = LOAD.replace('"artifacts/net.pt"', "sys.argv[1]")
    (found,) = _of(_lint({"serve.py": "import sys\n" + unknown}), "SAFE001")
    assert found.artifact is None


def test_safe002_unsafe_load_carries_its_artifact() -> None:
    src = 'import keras\nm = keras.models.load_model("m.keras", safe_mode=False)\n'
    (found,) = _of(_lint({"serve.py": src}), "SAFE002")
    assert found.artifact == "m.keras"


ENV_TRAIN = 'import torch\nmodel = Net()\ntorch.save(model.state_dict(), "out/net.pt")\n'
ENV_RELOAD = 'model.load_state_dict(torch.load("out/net.pt", weights_only=True))\n'
ENV_OTHER = "import numpy as np\nprint(np.pi)\n"


def test_env001_artifact_reloaded_only_in_place_is_preview_at_info() -> None:
    project = {"requirements.txt": "torch>=2.0\n", "nb.py": ENV_TRAIN + ENV_RELOAD, "u.py": ENV_OTHER}
    assert _of(_lint(project), "ENV001") == []
    (found,) = _of(_lint(project, preview=True), "ENV001")
    assert found.preview and found.severity.label == "info"
    assert found.artifact == "out/net.pt"


def test_env001_artifact_read_by_another_file_is_a_warning() -> None:
    project = {
        "requirements.txt": "torch>=2.0\n",
        "train.py": ENV_TRAIN,
        "serve.py": "import torch\nmodel = Net()\n" + ENV_RELOAD,
    }
    (found,) = _of(_lint(project), "ENV001")
    assert not found.preview and found.severity.label == "warning"
    assert found.artifact == "out/net.pt" and found.path == "requirements.txt"


def test_env001_never_loaded_artifact_stays_info_by_default() -> None:
    project = {"requirements.txt": "torch>=2.0\n", "train.py": ENV_TRAIN, "u.py": ENV_OTHER}
    (found,) = _of(_lint(project), "ENV001")
    assert not found.preview and found.severity.label == "info"


def test_env001_counts_a_keras_checkpoint_as_a_save() -> None:
    train = (
        "import keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\n"
        'model.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("best.keras")])\n'
    )
    project = {"requirements.txt": "tensorflow>=2.15\n", "train.py": train, "u.py": ENV_OTHER}
    (found,) = _of(_lint(project), "ENV001")
    assert "`tensorflow`" in found.message and found.artifact == "best.keras"


def test_load006_read_back_by_another_file_is_a_warning_with_the_reader() -> None:
    train = (
        "import torch\nmodel = Forecaster(n_features=8)\n"
        'torch.save(model.state_dict(), "f.pt")\n'
    )
    serve = (
        'import torch\nmodel = Forecaster(n_features=8)\nmodel.load_state_dict(torch.load("f.pt"))\n'
    )
    (found,) = _of(_lint({"train.py": train, "serve.py": serve}), "LOAD006")
    assert found.severity.label == "warning"
    assert [r.path for r in found.related] == ["serve.py"]
    (alone,) = _of(_lint({"train.py": train}), "LOAD006")
    assert alone.severity.label == "info" and alone.related == ()


def test_a_checkpoint_callback_never_handed_to_fit_saves_nothing() -> None:
    from preplint.analysis.artifacts import artifact_events
    from preplint.facts.project import ProjectIndex
    from preplint.pipeline.extraction import extract_source

    def saves(src: str) -> list[str]:
        facts = extract_source(textwrap.dedent(src), "nb.py").facts
        assert facts is not None
        return [e.path for e in artifact_events(facts, ProjectIndex([facts])) if e.action == "save"]

    unused = """
    from keras.callbacks import ModelCheckpoint
    def run(model, x, y):
        checkpointer = ModelCheckpoint(filepath="best.hdf5", save_best_only=True)
        model.fit(x, y)
    """
    assert saves(unused) == []
    assert saves(unused.replace("model.fit(x, y)", "model.fit(x, y, callbacks=[checkpointer])")) == [
        "best.hdf5"
    ]


CALLBACK_TRAIN = """
import torch
import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback

class SaveBest(Callback):
    def __init__(self, path):
        self.path = path
    def on_validation_end(self, trainer, pl_module):
        torch.save(pl_module.state_dict(), self.path)

trainer = pl.Trainer(callbacks=[SaveBest("best.pt")])
"""


def test_torch_save_inside_a_callback_is_a_save_of_the_path_it_is_given() -> None:
    serve = 'import torch\nnet = Net()\nnet.load_state_dict(torch.load("best.pt"))\n'
    (found,) = _of(_lint({"train.py": CALLBACK_TRAIN, "serve.py": serve}), "SAFE001")
    assert found.severity.label == "info"
    assert [(r.path, r.line) for r in found.related] == [("train.py", 9)]
    two_paths = CALLBACK_TRAIN + 'other = SaveBest("last.pt")\n'
    (unlinked,) = _of(_lint({"train.py": two_paths, "serve.py": serve}), "SAFE001")
    assert unlinked.related == ()


HELPER_PACKAGE_ABOVE = {
    "setup.py": """
    from setuptools import setup
    setup(name="helpers", install_requires=["numpy>=1.20"])
    """,
    "examples/train.py": """
    import torch
    net = torch.nn.Linear(4, 2)
    torch.save(net.state_dict(), "net.pt")
    """,
    "examples/predict.py": """
    import torch
    net = torch.nn.Linear(4, 2)
    net.load_state_dict(torch.load("net.pt", weights_only=True))
    """,
}


def test_env001_unrelated_packaging_file_above_is_preview_at_info() -> None:
    assert _of(_lint(HELPER_PACKAGE_ABOVE), "ENV001") == []
    (found,) = _of(_lint(HELPER_PACKAGE_ABOVE, preview=True), "ENV001")
    assert found.preview and found.severity.label == "info"
    assert "names no ML framework" in found.message


def test_env001_packaging_file_beside_the_scripts_still_reports_the_missing_framework() -> None:
    beside = {
        "setup.py": HELPER_PACKAGE_ABOVE["setup.py"],
        "train.py": HELPER_PACKAGE_ABOVE["examples/train.py"],
        "predict.py": HELPER_PACKAGE_ABOVE["examples/predict.py"],
    }
    (found,) = _of(_lint(beside), "ENV001")
    assert not found.preview and "missing from the dependency files" in found.message
