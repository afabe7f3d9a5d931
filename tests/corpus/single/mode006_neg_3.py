"""A Keras layer that keeps its own settings in underscore attributes."""
import tensorflow as tf
from tensorflow import keras


@keras.saving.register_keras_serializable(package="ranking")
class TemperatureSoftmax(keras.layers.Layer):
    def __init__(self, temperature=1.0, **kwargs):
        super().__init__(**kwargs)
        self._temperature = float(temperature)

    def call(self, logits):
        return tf.nn.softmax(logits / self._temperature, axis=-1)

    def get_config(self):
        return {**super().get_config(), "temperature": self._temperature}
