"""Risk scores for the patients in a CSV export."""
import sys

import joblib
import pandas as pd

import config


def predict(path):
    clf = joblib.load(config.MODEL_FILE)
    patients = pd.read_csv(path)
    risk = clf.predict_proba(patients[config.FEATURES])[:, 1]  # expect: PRE003
    return patients.assign(risk=risk)


if __name__ == "__main__":
    print(predict(sys.argv[1]).sort_values("risk", ascending=False).head(20))
