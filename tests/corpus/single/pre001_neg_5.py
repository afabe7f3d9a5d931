"""Tokenize the review corpus, train the classifier and save both artifacts."""
import pickle

import pandas as pd
import tensorflow as tf
from tensorflow.keras.preprocessing.sequence import pad_sequences
from tensorflow.keras.preprocessing.text import Tokenizer

VOCAB_SIZE = 20000
MAX_LEN = 200

tf.keras.utils.set_random_seed(2024)
reviews = pd.read_csv("data/reviews_train.csv")
texts, labels = reviews["text"].tolist(), reviews["positive"].to_numpy()

tokenizer = Tokenizer(num_words=VOCAB_SIZE, oov_token="<unk>")
tokenizer.fit_on_texts(texts)
sequences = pad_sequences(tokenizer.texts_to_sequences(texts), maxlen=MAX_LEN)

model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(MAX_LEN,)),
    tf.keras.layers.Embedding(VOCAB_SIZE, 64),
    tf.keras.layers.GlobalAveragePooling1D(),
    tf.keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(sequences, labels, epochs=5, batch_size=64)

model.save("models/sentiment.keras")
with open("models/tokenizer.pickle", "wb") as handle:
    pickle.dump(tokenizer, handle, protocol=pickle.HIGHEST_PROTOCOL)
