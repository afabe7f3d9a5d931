"""Predict crop yield for the fields in fields.npy."""
import numpy as np
import tensorflow as tf

model = tf.keras.models.load_model("artifacts/yield_sqrelu.keras")  # expect: LOAD001
fields = np.load("data/fields.npy").astype("float32")
print(model.predict(fields)[:, 0])
