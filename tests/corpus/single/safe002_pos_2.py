"""Serve the ranking model; its custom layer is passed explicitly."""
import numpy as np
import tensorflow as tf


@tf.keras.utils.register_keras_serializable(package="ranking")
class PairwiseDiff(tf.keras.layers.Layer):
    def call(self, inputs):
        a, b = inputs
        return a - b


ranker = tf.keras.models.load_model(
    "models/ranker.keras",
    custom_objects={"PairwiseDiff": PairwiseDiff},
    safe_mode=False,  # expect: SAFE002
)


def predict(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return ranker.predict([left.astype(np.float32), right.astype(np.float32)], verbose=0)[:, 0]
