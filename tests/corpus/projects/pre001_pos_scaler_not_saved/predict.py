"""Predict the quality of the wines in a CSV file."""
import sys

import joblib
import pandas as pd

from config import FEATURES, MODEL_PATH

svr = joblib.load(MODEL_PATH)
wines = pd.read_csv(sys.argv[1], sep=";")
wines["predicted_quality"] = svr.predict(wines[FEATURES])  # expect: PRE003
print(wines[["predicted_quality"]].describe())
