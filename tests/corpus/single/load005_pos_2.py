"""Keras churn model: compile, save, train, then evaluate the saved file."""
import numpy as np
from tensorflow import keras

MODEL_FILE = "churn_dense.keras"


def train():
    keras.utils.set_random_seed(77)
    data = np.load("data/churn_train.npz")
    x, y = data["x"].astype("float32"), data["y"].astype("float32")

    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["AUC"])
    model.save(MODEL_FILE)  # expect: LOAD005
    model.fit(x, y, epochs=20, batch_size=128)


def evaluate():
    data = np.load("data/churn_test.npz")
    model = keras.models.load_model(MODEL_FILE)
    return model.evaluate(data["x"].astype("float32"), data["y"].astype("float32"))


if __name__ == "__main__":
    train()
    print(evaluate())
