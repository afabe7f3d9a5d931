"""Text classifier with a custom attention-pooling layer; checks the saved model reloads."""
import numpy as np
import tensorflow as tf
from tensorflow import keras


class AttentionPooling(keras.layers.Layer):
    """Weighted average over time steps with learned attention scores."""

    def __init__(self, hidden=64, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.score = keras.layers.Dense(hidden, activation="tanh")
        self.weight = keras.layers.Dense(1)

    def call(self, x):
        alpha = tf.nn.softmax(self.weight(self.score(x)), axis=1)
        return tf.reduce_sum(alpha * x, axis=1)

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden}


def main():
    keras.utils.set_random_seed(5)
    data = np.load("data/news_tokens.npz")
    x_train, y_train = data["x"], data["y"]

    model = keras.Sequential([
        keras.Input(shape=(256,), dtype="int32"),
        keras.layers.Embedding(30000, 128),
        keras.layers.Bidirectional(keras.layers.GRU(64, return_sequences=True)),
        AttentionPooling(64),
        keras.layers.Dense(4, activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=4, batch_size=64)
    model.save("news_attn.keras")

    restored = keras.models.load_model("news_attn.keras")  # expect: LOAD001
    restored.summary()


if __name__ == "__main__":
    main()
