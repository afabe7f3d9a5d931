"""Debug helper: run the fraud model eagerly through the public API."""
import numpy as np
from tensorflow import keras

model = keras.models.load_model("artifacts/fraud_dense.keras")
model.run_eagerly = True
for layer in model.layers[:-1]:
    layer.trainable = False

sample = np.load("data/suspicious_batch.npy").astype("float32")
print(model.predict(sample[:8]))
