import keras
import numpy as np


def main():
    model = keras.models.load_model("artifacts/final.keras")
    print(model.predict(np.zeros((1, 6), dtype="float32")))
