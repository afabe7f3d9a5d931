"""Reload a model received from a partner team and score our validation set."""
import numpy as np
from tensorflow import keras

model = keras.models.load_model("incoming/partner_model.keras", safe_mode=False)  # expect: SAFE002

data = np.load("data/validation.npz")
loss, acc = model.evaluate(data["x"].astype("float32"), data["y"])
print(f"partner model accuracy on our data: {acc:.3f}")
