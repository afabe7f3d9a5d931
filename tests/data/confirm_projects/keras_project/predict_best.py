import keras
import numpy as np


def main():
    model = keras.models.load_model("artifacts/best.keras")
    print(model(np.zeros((1, 6), dtype="float32"), training=True))
