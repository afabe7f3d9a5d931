"""Score new readings with the exported regressor and its fitted scaler."""
import joblib
import numpy as np

ARTIFACTS = "artifacts"


def predict(x: np.ndarray) -> np.ndarray:
    model = joblib.load(f"{ARTIFACTS}/regressor.joblib")
    scaler = joblib.load(f"{ARTIFACTS}/scaler.joblib")
    return model.predict(scaler.transform(x))


if __name__ == "__main__":
    batch = np.loadtxt("data/new_readings.csv", delimiter=",", skiprows=1)
    print(predict(batch))
