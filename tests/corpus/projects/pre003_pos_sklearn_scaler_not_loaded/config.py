import os

ARTIFACTS = os.environ.get("ARTIFACTS", "artifacts")
MODEL_FILE = os.path.join(ARTIFACTS, "diabetes_mlp.joblib")
SCALER_FILE = os.path.join(ARTIFACTS, "diabetes_scaler.joblib")
FEATURES = ["glucose", "bmi", "age", "blood_pressure", "insulin"]
SEED = 17
