"""Alloy-strength regression with batch normalisation and reasonable batches."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(0)
data = np.load("data/alloy_strength.npz")
x, y = data["x"].astype("float32"), data["y"].astype("float32")

model = keras.Sequential([
    keras.Input(shape=(x.shape[1],)),
    layers.Dense(64),
    layers.BatchNormalization(),
    layers.Activation("relu"),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=200, batch_size=32, verbose=0)
model.save("alloy_strength.keras")
