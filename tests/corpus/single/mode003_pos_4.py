"""Embedding service: encodes query strings with the saved sentence encoder."""
import numpy as np
from tensorflow import keras

encoder = keras.models.load_model("models/query_encoder.keras")


def serve(token_ids: list[list[int]]) -> list[list[float]]:
    batch = keras.utils.pad_sequences(token_ids, maxlen=64, padding="post")
    vectors = encoder(np.asarray(batch, dtype="int32"), training=True)  # expect: MODE003
    return np.asarray(vectors).tolist()
