"""python train.py --out runs/ecg.keras"""
import argparse

import numpy as np
from tensorflow import keras

from layers import SqueezeExcite1D


def build(n_classes=5):
    inp = keras.Input((1000, 12))
    x = keras.layers.Conv1D(64, 7, padding="same", activation="relu")(inp)
    x = SqueezeExcite1D(8)(x)
    x = keras.layers.Conv1D(128, 5, padding="same", activation="relu")(x)
    x = SqueezeExcite1D(8)(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(inp, keras.layers.Dense(n_classes, activation="softmax")(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/ptbxl_train.npz")
    parser.add_argument("--out", default="runs/ecg.keras")
    args = parser.parse_args()

    keras.utils.set_random_seed(31)
    data = np.load(args.data)
    model = build()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(data["x"].astype("float32"), data["y"], epochs=25, batch_size=64)
    model.save(args.out)


if __name__ == "__main__":
    main()
