"""Debug helper: run the fraud model eagerly so we can step through call()."""
import numpy as np
from tensorflow import keras

model = keras.models.load_model("artifacts/fraud_dense.keras")
model._run_eagerly = True  # expect: MODE006

sample = np.load("data/suspicious_batch.npy").astype("float32")
print(model.predict(sample[:8]))
