"""Tabular regressor with a hand-written activation (squared ReLU)."""
import numpy as np
import tensorflow as tf


def squared_relu(x):
    return tf.square(tf.nn.relu(x))


tf.keras.utils.set_random_seed(12)
data = np.load("data/yields.npz")
x, y = data["x"].astype("float32"), data["y"].astype("float32")
norm = tf.keras.layers.Normalization()
norm.adapt(x)
model = tf.keras.Sequential([
    tf.keras.Input(shape=(x.shape[1],)),
    norm,
    tf.keras.layers.Dense(64, activation=squared_relu),
    tf.keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=40, batch_size=128)
model.save("artifacts/yield_sqrelu.keras")
