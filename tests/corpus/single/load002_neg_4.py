"""Custom Keras model that only overrides train_step (gradient clipping by value)."""
import tensorflow as tf
from tensorflow import keras


class ClippedModel(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        grads = [tf.clip_by_value(g, -1.0, 1.0) for g in grads]
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def build(n_features, n_classes):
    inputs = keras.Input((n_features,))
    hidden = keras.layers.Dense(64, activation="relu")(inputs)
    return ClippedModel(inputs, keras.layers.Dense(n_classes)(hidden))
