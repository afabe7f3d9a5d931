"""Energy-demand regressor with the normalisation adapted into the model itself."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(0)


def load_split(name):
    data = np.load(f"data/demand_{name}.npz")
    return data["x"].astype("float32"), data["y"].astype("float32")


def build_model(x_train):
    norm = layers.Normalization(axis=-1)
    norm.adapt(x_train)
    return keras.Sequential([
        keras.Input(shape=(x_train.shape[1],)),
        norm,
        layers.Dense(128, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])


if __name__ == "__main__":
    x_train, y_train = load_split("train")
    model = build_model(x_train)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x_train, y_train, epochs=50, batch_size=256)
    model.save("artifacts/demand.keras")
