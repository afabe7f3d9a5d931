"""Forecast the next 24 hours from the latest window."""
import keras
import numpy as np

from blocks import TemporalAttention

model = keras.models.load_model(
    "models/forecaster.keras", custom_objects={"TemporalAttention": TemporalAttention}
)
window = np.load("data/latest_window.npy").astype("float32")[None]
print(model.predict(window)[0])
