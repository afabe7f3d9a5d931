"""Predict insurance claim cost; categories are encoded by the encoder fitted in training."""
import joblib
import pandas as pd

CATEGORICAL = ["region", "vehicle_type", "coverage"]
NUMERIC = ["driver_age", "vehicle_age", "annual_km"]


def predict(csv_path):
    model = joblib.load("models/claims_gbr.joblib")
    encoder = joblib.load("models/claims_onehot.joblib")  # OneHotEncoder(handle_unknown="ignore")
    policies = pd.read_csv(csv_path)
    encoded = encoder.transform(policies[CATEGORICAL]).toarray()
    X = pd.concat([policies[NUMERIC].reset_index(drop=True), pd.DataFrame(encoded)], axis=1)
    return model.predict(X.to_numpy())


if __name__ == "__main__":
    print(predict("data/new_policies.csv"))
