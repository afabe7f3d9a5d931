"""Classify handwritten digits with the saved Keras model."""
import sys

import numpy as np
from PIL import Image
from tensorflow import keras


def predict(path, model_path="models/mnist_mlp.keras"):
    model = keras.models.load_model(model_path)
    pixels = np.asarray(Image.open(path).convert("L").resize((28, 28)), dtype=np.float32)
    x = pixels.reshape(1, 784) / 255.0  # the same constant scaling used in training
    return int(model.predict(x, verbose=0).argmax())


if __name__ == "__main__":
    print(predict(sys.argv[1]))
