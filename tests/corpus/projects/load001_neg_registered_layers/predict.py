"""python predict.py --model runs/ecg.keras recording.npy"""
import argparse

import numpy as np
from tensorflow import keras

import layers  # noqa: F401  (registers SqueezeExcite1D with Keras)

CLASSES = ["NORM", "MI", "STTC", "CD", "HYP"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("recording")
    args = parser.parse_args()

    model = keras.models.load_model(args.model)
    signal = np.load(args.recording).astype("float32")[None]
    print(CLASSES[int(model.predict(signal).argmax())])


if __name__ == "__main__":
    main()
