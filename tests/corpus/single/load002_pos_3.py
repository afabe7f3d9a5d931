"""Residual block used by the audio tagger."""
import tensorflow as tf


class ResidualBlock(tf.keras.layers.Layer):  # expect: LOAD002
    def __init__(self, filters, kernel_size=3, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.conv_a = tf.keras.layers.Conv2D(filters, kernel_size, padding="same")
        self.bn_a = tf.keras.layers.BatchNormalization()
        self.conv_b = tf.keras.layers.Conv2D(filters, kernel_size, padding="same")
        self.bn_b = tf.keras.layers.BatchNormalization()
        self.project = tf.keras.layers.Conv2D(filters, 1)

    def call(self, x, training=None):
        h = tf.nn.relu(self.bn_a(self.conv_a(x), training=training))
        h = self.bn_b(self.conv_b(h), training=training)
        return tf.nn.relu(h + self.project(x))
