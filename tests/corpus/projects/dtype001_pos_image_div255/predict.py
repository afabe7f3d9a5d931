"""Classify the traffic-sign crops given on the command line."""
import sys

import numpy as np
import tensorflow as tf
from PIL import Image

from paths import IMG_SIZE, MODEL_FILE


def main(paths):
    model = tf.keras.models.load_model(MODEL_FILE)
    crops = [np.array(Image.open(p).convert("RGB").resize((IMG_SIZE, IMG_SIZE))) / 255.0 for p in paths]
    preds = model.predict(np.stack(crops))  # expect: DTYPE001
    for path, cls in zip(paths, preds.argmax(axis=1)):
        print(path, cls)


if __name__ == "__main__":
    main(sys.argv[1:])
