"""Batch scoring job: predict fraud probability for yesterday's transactions."""
import sys

import joblib
import pandas as pd
from sklearn.preprocessing import StandardScaler

FEATURES = ["amount", "merchant_risk", "hour", "distance_from_home", "txn_last_24h"]


def score(csv_path, model_path="models/fraud_lr.joblib"):
    model = joblib.load(model_path)
    txns = pd.read_csv(csv_path)

    scaler = StandardScaler()
    X = scaler.fit_transform(txns[FEATURES])  # expect: PRE002

    txns["fraud_probability"] = model.predict_proba(X)[:, 1]
    return txns


if __name__ == "__main__":
    out = score(sys.argv[1])
    out.to_csv("scored.csv", index=False)
