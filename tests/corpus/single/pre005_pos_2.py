"""Lightweight scoring without scikit-learn at runtime: coefficients and scaler
parameters were exported to JSON."""
import json

import numpy as np

with open("export/churn_model.json") as f:
    EXPORT = json.load(f)

MEAN = np.array(EXPORT["scaler"]["mean"])
SCALE = np.array(EXPORT["scaler"]["scale"])
COEF = np.array(EXPORT["coef"])
INTERCEPT = EXPORT["intercept"]


def predict_proba(features):
    z = (np.asarray(features, dtype=float) - MEAN) / SCALE  # expect: PRE005
    return 1.0 / (1.0 + np.exp(-(z @ COEF + INTERCEPT)))


if __name__ == "__main__":
    print(predict_proba([[12, 70.5, 3]]))
