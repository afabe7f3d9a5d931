"""Predict insurance claim cost for new policies."""
import argparse

import joblib
import pandas as pd


def predict(model_path, csv_path):
    model = joblib.load(model_path)
    policies = pd.read_csv(csv_path)
    X = pd.get_dummies(policies.drop(columns=["policy_id"]), drop_first=True)  # expect: PRE006
    return pd.Series(model.predict(X), index=policies["policy_id"], name="expected_cost")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="models/claims_gbr.joblib")
    parser.add_argument("csv")
    args = parser.parse_args()
    print(predict(args.model, args.csv))
