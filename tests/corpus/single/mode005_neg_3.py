"""Keras inference script: predict() needs no gradient bookkeeping."""
import numpy as np
from tensorflow import keras

model = keras.models.load_model("models/house_prices.keras")


def predict(rows):
    x = np.asarray(rows, dtype=np.float32)
    return model.predict(x, verbose=0)[:, 0]


if __name__ == "__main__":
    print(predict([[1450.0, 3.0, 2.0, 1987.0, 5000.0]]))
