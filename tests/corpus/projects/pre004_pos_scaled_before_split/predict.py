"""Predict the quality of the wines in a CSV file."""
import sys

import joblib
import pandas as pd

from config import FEATURES, MODEL_PATH, SCALER_PATH

svr = joblib.load(MODEL_PATH)
scaler = joblib.load(SCALER_PATH)
wines = pd.read_csv(sys.argv[1], sep=";")
wines["predicted_quality"] = svr.predict(scaler.transform(wines[FEATURES]))
print(wines[["predicted_quality"]].describe())
