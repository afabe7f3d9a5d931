"""Train the load forecaster; python train.py"""
import keras
import numpy as np

from blocks import TemporalAttention

keras.utils.set_random_seed(10)
data = np.load("data/load_windows.npz")
x, y = data["x"].astype("float32"), data["y"].astype("float32")

inputs = keras.Input(shape=x.shape[1:])
h = keras.layers.LSTM(64, return_sequences=True)(inputs)
h = TemporalAttention(32, score_activation=keras.activations.gelu)(h)
model = keras.Model(inputs, keras.layers.Dense(y.shape[1])(h))
model.compile(optimizer="adam", loss="mae")
model.fit(x, y, epochs=30, batch_size=128)
model.save("models/forecaster.keras")
