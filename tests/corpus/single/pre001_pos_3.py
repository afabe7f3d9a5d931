"""Energy-demand regressor. Features are normalised before they reach the network."""
import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)


def load_split(name):
    data = np.load(f"data/demand_{name}.npz")
    return data["x"].astype("float32"), data["y"].astype("float32")


def main():
    x_train, y_train = load_split("train")

    norm = tf.keras.layers.Normalization(axis=-1)
    norm.adapt(x_train)  # expect: PRE001
    x_train_n = norm(x_train)

    model = tf.keras.Sequential([
        tf.keras.Input(shape=(x_train.shape[1],)),
        tf.keras.layers.Dense(128, activation="relu"),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x_train_n, y_train, epochs=50, batch_size=256)
    model.save("artifacts/demand.keras")


if __name__ == "__main__":
    main()
