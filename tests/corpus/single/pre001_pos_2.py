"""Train an LSTM sentiment classifier on product reviews."""
import pandas as pd
import tensorflow as tf
from tensorflow.keras import layers
from tensorflow.keras.preprocessing.sequence import pad_sequences
from tensorflow.keras.preprocessing.text import Tokenizer

VOCAB_SIZE = 20000
MAX_LEN = 200

tf.keras.utils.set_random_seed(2024)

reviews = pd.read_csv("data/reviews_train.csv")
texts, labels = reviews["text"].tolist(), reviews["positive"].to_numpy()

tokenizer = Tokenizer(num_words=VOCAB_SIZE, oov_token="<unk>")
tokenizer.fit_on_texts(texts)  # expect: PRE001
sequences = pad_sequences(tokenizer.texts_to_sequences(texts), maxlen=MAX_LEN)

model = tf.keras.Sequential([
    layers.Input(shape=(MAX_LEN,)),
    layers.Embedding(VOCAB_SIZE, 64),
    layers.Bidirectional(layers.LSTM(64)),
    layers.Dropout(0.3),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(sequences, labels, epochs=5, batch_size=64)

model.save("models/sentiment_lstm.keras")
