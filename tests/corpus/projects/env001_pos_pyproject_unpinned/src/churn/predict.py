"""Churn probabilities for the customers in an .npy feature file."""
import sys

import numpy as np
from tensorflow import keras

from churn.train import ARTIFACT


def predict(path: str) -> np.ndarray:
    model = keras.models.load_model(ARTIFACT)
    return model.predict(np.load(path).astype("float32"), verbose=0)[:, 0]


if __name__ == "__main__":
    print(predict(sys.argv[1]))
