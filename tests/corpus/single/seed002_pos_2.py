"""Train the Keras text model; the seed is set once everything is built."""
import numpy as np
import tensorflow as tf


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
    model = build()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["AUC"])
    tf.keras.utils.set_random_seed(7)  # expect: SEED002
    model.fit(data["x"], data["y"].astype("float32"), epochs=5, batch_size=256)
    model.save("toxic.keras")
