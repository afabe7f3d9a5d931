"""python predict.py ROOMS FLOOR AGE KM"""
import sys

import numpy as np
import tensorflow as tf

model = tf.keras.models.load_model("rent.keras")
flat = np.array([[int(v) for v in sys.argv[1:5]]])
print(f"estimated rent: {model.predict(flat)[0, 0]:.0f}")  # expect: DTYPE001
