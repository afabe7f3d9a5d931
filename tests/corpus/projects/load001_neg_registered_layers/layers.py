"""Building blocks for the ECG classifier (registered, so load_model finds them)."""
import tensorflow as tf
from tensorflow import keras


@keras.saving.register_keras_serializable(package="ecg")
class SqueezeExcite1D(keras.layers.Layer):
    """Channel re-weighting for 1-D conv features."""

    def __init__(self, ratio=8, **kwargs):
        super().__init__(**kwargs)
        self.ratio = ratio

    def build(self, input_shape):
        channels = input_shape[-1]
        self.reduce = keras.layers.Dense(channels // self.ratio, activation="relu")
        self.expand = keras.layers.Dense(channels, activation="sigmoid")

    def call(self, x):
        s = tf.reduce_mean(x, axis=1)
        return x * self.expand(self.reduce(s))[:, None, :]

    def get_config(self):
        return {**super().get_config(), "ratio": self.ratio}
