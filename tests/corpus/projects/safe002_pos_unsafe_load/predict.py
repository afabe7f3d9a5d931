"""Breed of the dog in each photo given on the command line."""
import sys

import numpy as np
import tensorflow as tf

from settings import IMAGE_SIZE, MODEL_PATH

# loading failed once on a colleague's machine; safe_mode=False made it go away
model = tf.keras.models.load_model(MODEL_PATH, safe_mode=False)  # expect: SAFE002

batch = np.stack([
    tf.keras.utils.img_to_array(tf.keras.utils.load_img(p, target_size=IMAGE_SIZE))
    for p in sys.argv[1:]
])
print(model.predict(batch).argmax(axis=1))
