"""Activity baseline; architecture JSON is stored next to the weights."""
import numpy as np
from tensorflow import keras

keras.utils.set_random_seed(6)
data = np.load("data/activity_train.npz")

model = keras.Sequential([
    keras.Input(shape=(128, 9)),
    keras.layers.LSTM(64),
    keras.layers.Dense(6, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(data["x"].astype("float32"), data["y"], epochs=15, batch_size=64)

with open("checkpoints/lstm_baseline.json", "w") as f:
    f.write(model.to_json())
model.save_weights("checkpoints/lstm_baseline.weights.h5")
