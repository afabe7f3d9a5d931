"""Classify digits from the flat 64-pixel CSV produced by the scanner."""
import numpy as np
from tensorflow import keras

from config import MODEL_PATH

model = keras.models.load_model(MODEL_PATH)
rows = np.loadtxt("data/scanned_digits.csv", delimiter=",", dtype=np.float32) / 16.0
print(model.predict(rows.reshape(len(rows), 64)).argmax(axis=1))  # expect: DTYPE003
