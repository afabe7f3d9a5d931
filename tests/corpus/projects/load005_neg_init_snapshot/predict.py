"""Breed of the dog in each photo given on the command line."""
import sys

import numpy as np
import tensorflow as tf

from settings import IMAGE_SIZE, MODEL_PATH


def predict(paths):
    model = tf.keras.models.load_model(MODEL_PATH)
    batch = np.stack([
        tf.keras.utils.img_to_array(tf.keras.utils.load_img(p, target_size=IMAGE_SIZE))
        for p in paths
    ])
    return model.predict(batch).argmax(axis=1)


if __name__ == "__main__":
    print(predict(sys.argv[1:]))
