"""Custom Keras blocks for the time-series forecaster."""
import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="forecast")
class TemporalAttention(layers.Layer):  # expect: LOAD002
    """Additive attention over the time axis."""

    def __init__(self, units, score_activation="tanh", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.w = layers.Dense(units, activation=score_activation)
        self.v = layers.Dense(1)

    def call(self, x):
        weights = ops.softmax(self.v(self.w(x)), axis=1)
        return ops.sum(weights * x, axis=1)
