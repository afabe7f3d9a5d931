"""Digit classifier on flattened pixels; classify a single image file."""
import numpy as np
from PIL import Image
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(1)


def train():
    (x, y), _ = keras.datasets.mnist.load_data()
    x = x.reshape(-1, 784).astype("float32") / 255.0
    model = keras.Sequential([
        layers.Dense(256, activation="relu", input_shape=(784,)),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=5, batch_size=128)
    return model


def predict(model, path):
    img = np.asarray(Image.open(path).convert("L").resize((28, 28)), dtype="float32") / 255.0
    return int(model.predict(img.reshape(1, 784)).argmax())


if __name__ == "__main__":
    print(predict(train(), "seven.png"))
