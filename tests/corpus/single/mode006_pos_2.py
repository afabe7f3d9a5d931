"""Speed up serving by letting every layer trace a function per input signature."""
import numpy as np
import tensorflow as tf

model = tf.keras.models.load_model("models/ranker.keras")
for layer in model.layers:
    layer._per_input_call_tf_function = True  # expect: MODE006


def predict(features: np.ndarray) -> np.ndarray:
    return model.predict(features.astype(np.float32), batch_size=4096, verbose=0)
