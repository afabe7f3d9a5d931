"""TensorFlow training run; seeded, but op determinism explicitly switched off."""
import os

os.environ["TF_DETERMINISTIC_OPS"] = "0"  # expect: SEED004

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.keras.utils.set_random_seed(21)
data = np.load("data/weather.npz")
x, y = data["x"].astype("float32"), data["y"].astype("float32")

model = tf.keras.Sequential([
    tf.keras.Input(shape=x.shape[1:]),
    tf.keras.layers.LSTM(64),
    tf.keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=20, batch_size=64)
model.save("weather_lstm.keras")
