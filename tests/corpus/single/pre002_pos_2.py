"""Inference endpoint for the occupancy model."""
import numpy as np
import tensorflow as tf
from sklearn.preprocessing import MinMaxScaler

MODEL = tf.keras.models.load_model("artifacts/occupancy.keras")
COLUMNS = ["temperature", "humidity", "light", "co2"]


def serve(records):
    """records: list of dicts posted by the building sensors."""
    x = np.array([[r[c] for c in COLUMNS] for r in records], dtype=np.float32)
    x = MinMaxScaler().fit(x).transform(x)  # expect: PRE002
    probs = MODEL.predict(x.astype(np.float32), verbose=0)
    return [{"occupied": bool(p > 0.5), "score": float(p)} for p in probs[:, 0]]
