"""Classify a batch of chest X-rays with the saved Keras model."""
import numpy as np
import tensorflow as tf

model = tf.keras.models.load_model("models/xray_densenet.keras")


def predict(images: np.ndarray) -> np.ndarray:
    """images: float32 array (n, 224, 224, 3) scaled to [0, 1]."""
    probs = model(images.astype(np.float32), training=False)
    return np.asarray(probs)[:, 1]


if __name__ == "__main__":
    batch = np.load("data/xray_batch.npy").astype(np.float32)
    print(predict(batch))
