"""Thread-safe wrapper around the Keras intent classifier."""
import threading

import numpy as np
from tensorflow import keras


class IntentService:
    def __init__(self, path="models/intent_classifier.keras"):
        self._lock = threading.Lock()
        self._model = keras.models.load_model(path)
        self._cache = {}

    def predict(self, features):
        key = tuple(features)
        if key not in self._cache:
            with self._lock:
                x = np.asarray([features], dtype=np.float32)
                self._cache[key] = self._model.predict(x, verbose=0)[0]
        return self._cache[key]
