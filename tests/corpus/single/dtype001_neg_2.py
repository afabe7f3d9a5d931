"""Gas-turbine emission model: train on float32 features, then score a CSV export."""
import numpy as np
import tensorflow as tf
from tensorflow import keras

keras.utils.set_random_seed(14)


def train():
    data = np.load("data/emissions_train.npz")
    x = data["x"].astype(np.float32)
    y = data["nox"].astype(np.float32)
    norm = keras.layers.Normalization()
    norm.adapt(x)
    model = keras.Sequential([keras.Input(shape=(x.shape[1],)), norm,
                              keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mae")
    model.fit(x, y, epochs=60, batch_size=256)
    model.save("models/nox.keras")


def predict(csv_path):
    model = keras.models.load_model("models/nox.keras")
    readings = np.loadtxt(csv_path, delimiter=",", skiprows=1)
    return model.predict(tf.convert_to_tensor(readings, dtype=tf.float32))[:, 0]


if __name__ == "__main__":
    train()
    print(predict("data/emissions_live.csv"))
