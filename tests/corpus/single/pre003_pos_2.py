"""MNIST CNN: train, save, and classify a single digit image."""
import numpy as np
from PIL import Image
from tensorflow import keras

keras.utils.set_random_seed(11)


def train():
    (x_train, y_train), _ = keras.datasets.mnist.load_data()
    x_train = x_train[..., None].astype("float32") / 255.0
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=3, batch_size=128)
    model.save("mnist_cnn.keras")
    return model


def predict_digit(model, path):
    image = np.asarray(Image.open(path).convert("L").resize((28, 28)), dtype="float32")
    probs = model.predict(image[None, ..., None])  # expect: PRE003
    return int(probs.argmax())


if __name__ == "__main__":
    cnn = train()
    print(predict_digit(cnn, "digit.png"))
