"""Batch scoring job: reuse the scaler fitted at training time."""
import sys

import joblib
import pandas as pd

FEATURES = ["amount", "merchant_risk", "hour", "distance_from_home", "txn_last_24h"]


def score(csv_path):
    model = joblib.load("models/fraud_lr.joblib")
    scaler = joblib.load("models/fraud_scaler.joblib")
    txns = pd.read_csv(csv_path)

    X = scaler.transform(txns[FEATURES])
    txns["fraud_probability"] = model.predict_proba(X)[:, 1]
    return txns


if __name__ == "__main__":
    score(sys.argv[1]).to_csv("scored.csv", index=False)
