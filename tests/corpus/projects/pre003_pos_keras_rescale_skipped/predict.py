"""python predict.py photo.jpg -> most likely flower and its probability."""
import argparse

import numpy as np
import tensorflow as tf

from config import CLASS_NAMES, IMAGE_SIZE, MODEL_PATH


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("image")
    args = parser.parse_args()

    model = tf.keras.models.load_model(MODEL_PATH)
    img = tf.keras.utils.load_img(args.image, target_size=IMAGE_SIZE)
    batch = np.expand_dims(tf.keras.utils.img_to_array(img), 0)  # float32, 0..255

    logits = model.predict(batch)  # expect: PRE003
    probs = tf.nn.softmax(logits[0]).numpy()
    print(f"{CLASS_NAMES[int(np.argmax(probs))]} ({100 * probs.max():.1f}%)")


if __name__ == "__main__":
    main()
