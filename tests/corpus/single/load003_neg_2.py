"""Sentiment model written as a subclassed keras.Model, saved in the native format."""
import numpy as np
import tensorflow as tf


@tf.keras.utils.register_keras_serializable()
class SentimentNet(tf.keras.Model):
    def __init__(self, vocab_size=20000, embed_dim=64, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.embed_dim = vocab_size, embed_dim
        self.embed = tf.keras.layers.Embedding(vocab_size, embed_dim)
        self.pool = tf.keras.layers.GlobalAveragePooling1D()
        self.out = tf.keras.layers.Dense(1, activation="sigmoid")

    def call(self, x):
        return self.out(self.pool(self.embed(x)))

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "embed_dim": self.embed_dim}


tf.keras.utils.set_random_seed(12)
data = np.load("data/imdb_padded.npz")
model = SentimentNet()
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(data["x_train"], data["y_train"], epochs=3, batch_size=256)
model.save("sentiment_net.keras")
