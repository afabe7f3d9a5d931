"""LOAD findings beyond where they fire: the artifact and related locations they name."""

from __future__ import annotations

from tests.helpers import lint

# Also a LOAD001 example in the rule's file.
ALIAS_AND_CONFIG_MODULE = {
    "config.py": 'from pathlib import Path\nMODEL_DIR = Path("artifacts")\nMODEL_PATH = MODEL_DIR / "clf.keras"\n',
    "blocks.py": """
import tensorflow as tf

class GatedDense(tf.keras.layers.Layer):
    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.units = units
    def get_config(self):
        return {**super().get_config(), "units": self.units}
""",
    "train.py": """
import tensorflow as tf
import blocks as B
import config

model = tf.keras.Sequential([tf.keras.Input((4,)), B.GatedDense(16), tf.keras.layers.Dense(1)])
model.compile("adam", "mse")
model.fit(x, y)
model.save(config.MODEL_PATH)
""",
    "predict.py": """
from tensorflow.keras.models import load_model
import config

class Predictor:
    def __init__(self):
        self.model = load_model(config.MODEL_PATH)  # expect: LOAD001
    def predict(self, x):
        return self.model.predict(x)
""",
}


def test_load001_sets_artifact_and_related() -> None:
    found = [d for d in lint(ALIAS_AND_CONFIG_MODULE) if d.code == "LOAD001"]
    assert found[0].artifact == "artifacts/clf.keras"
    assert {r.path for r in found[0].related} >= {"train.py", "blocks.py"}
