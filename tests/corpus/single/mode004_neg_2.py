"""Small-data regression with a plain MLP (no batch normalisation), updated per sample."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(0)
data = np.load("data/alloy_strength.npz")
x, y = data["x"].astype("float32"), data["y"].astype("float32")

model = keras.Sequential([
    keras.Input(shape=(x.shape[1],)),
    layers.Dense(64, activation="relu"),
    layers.LayerNormalization(),
    layers.Dense(64, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
model.fit(x, y, epochs=200, batch_size=1, verbose=0)
model.save("alloy_strength.keras")
