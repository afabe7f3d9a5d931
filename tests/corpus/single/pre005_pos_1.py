"""Score new readings with the exported regressor.

train.py saved the scaler's mean_ and scale_ as .npy files next to the model.
"""
import joblib
import numpy as np

ARTIFACTS = "artifacts"


def predict(x: np.ndarray) -> np.ndarray:
    model = joblib.load(f"{ARTIFACTS}/regressor.joblib")
    x = (x - np.load(f"{ARTIFACTS}/mean.npy")) / np.load(f"{ARTIFACTS}/scale.npy")  # expect: PRE005
    return model.predict(x)


if __name__ == "__main__":
    batch = np.loadtxt("data/new_readings.csv", delimiter=",", skiprows=1)
    print(predict(batch))
