"""Small custom layers for the tabular models."""
import tensorflow as tf
from tensorflow import keras


class L2Normalize(keras.layers.Layer):
    """Unit-normalises embeddings; nothing to configure beyond the base Layer args."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x):
        return tf.math.l2_normalize(x, axis=-1)


class Swish(keras.layers.Layer):
    def call(self, x):
        return x * tf.sigmoid(x)
