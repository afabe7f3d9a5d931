"""Wrapper used by the reporting service to get credit scores."""
import joblib
import numpy as np
from sklearn.preprocessing import StandardScaler


class Predictor:
    def __init__(self, model_path: str):
        self.model = joblib.load(model_path)
        self.scaler = StandardScaler()

    def predict(self, features: np.ndarray) -> np.ndarray:
        scaled = self.scaler.fit_transform(features)  # expect: PRE002
        return self.model.predict(scaled)


if __name__ == "__main__":
    predictor = Predictor("models/credit_svm.joblib")
    batch = np.loadtxt("data/new_applicants.csv", delimiter=",", skiprows=1)
    print(predictor.predict(batch))
