"""Extract image embeddings with the saved encoder and cache them in an HDF5 file."""
import glob

import h5py
import numpy as np
import tensorflow as tf

encoder = tf.keras.models.load_model("models/encoder.keras")
paths = sorted(glob.glob("data/catalog/*.jpg"))


def load(path):
    img = tf.keras.utils.load_img(path, target_size=(224, 224))
    return tf.keras.utils.img_to_array(img)


embeddings = np.concatenate([
    encoder.predict(np.stack([load(p) for p in paths[i:i + 64]]), verbose=0)
    for i in range(0, len(paths), 64)
])
with h5py.File("cache/catalog_embeddings.h5", "w") as f:
    f.create_dataset("embeddings", data=embeddings, compression="gzip")
    f.create_dataset("paths", data=np.array(paths, dtype="S"))
