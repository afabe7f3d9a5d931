"""Score new applicants with the saved scaling + SVM pipeline."""
from pathlib import Path

import joblib
import pandas as pd

MODEL_DIR = Path("models")


class Predictor:
    def __init__(self):
        # StandardScaler and SVC were fitted together and dumped as one Pipeline
        self.pipeline = joblib.load(MODEL_DIR / "credit_svm_pipeline.joblib")

    def predict(self, frame: pd.DataFrame):
        return self.pipeline.predict(frame)


if __name__ == "__main__":
    applicants = pd.read_csv("data/new_applicants.csv")
    print(Predictor().predict(applicants))
