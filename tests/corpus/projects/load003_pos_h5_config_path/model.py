import tensorflow as tf


@tf.keras.utils.register_keras_serializable(package="ner")
class NerTagger(tf.keras.Model):
    def __init__(self, vocab, n_tags, dim=128, **kwargs):
        super().__init__(**kwargs)
        self.vocab, self.n_tags, self.dim = vocab, n_tags, dim
        self.embed = tf.keras.layers.Embedding(vocab, dim, mask_zero=True)
        self.rnn = tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(dim, return_sequences=True))
        self.classify = tf.keras.layers.Dense(n_tags)

    def call(self, ids):
        return self.classify(self.rnn(self.embed(ids)))

    def get_config(self):
        return {**super().get_config(), "vocab": self.vocab, "n_tags": self.n_tags, "dim": self.dim}
