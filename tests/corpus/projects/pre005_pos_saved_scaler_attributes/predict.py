"""Predict the quality of the wines in a CSV file."""
import sys

import joblib
import numpy as np
import pandas as pd

from config import FEATURES, MODEL_DIR, MODEL_PATH

svr = joblib.load(MODEL_PATH)
params = np.load(f"{MODEL_DIR}/scaler_params.npz")
wines = pd.read_csv(sys.argv[1], sep=";")
X = (wines[FEATURES].to_numpy() - params["mean"]) / params["scale"]  # expect: PRE005
wines["predicted_quality"] = svr.predict(X)
print(wines[["predicted_quality"]].describe())
