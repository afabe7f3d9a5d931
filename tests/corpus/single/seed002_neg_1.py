"""Keras text model with the seed set before anything random happens.

keras.utils.set_random_seed seeds Python's random, NumPy and the backend at once.
"""
import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(7)


def build(vocab=20000):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(100,), dtype="int32"),
        tf.keras.layers.Embedding(vocab, 64),
        tf.keras.layers.GlobalAveragePooling1D(),
        tf.keras.layers.Dropout(0.3),
        tf.keras.layers.Dense(1, activation="sigmoid"),
    ])


if __name__ == "__main__":
    data = np.load("data/toxic_tokens.npz")
    order = np.random.permutation(len(data["x"]))
    x, y = data["x"][order], data["y"][order].astype("float32")
    model = build()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["AUC"])
    model.fit(x, y, epochs=5, batch_size=256)
    model.save("toxic.keras")
