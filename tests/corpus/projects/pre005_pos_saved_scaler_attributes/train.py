"""Wine-quality regressor. The scaler parameters are exported as plain arrays so
the scoring service does not need scikit-learn objects."""
import joblib
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

from config import FEATURES, MODEL_DIR, MODEL_PATH, SEED

np.random.seed(SEED)
wine = pd.read_csv("data/winequality-red.csv", sep=";")
X_train, X_test, y_train, y_test = train_test_split(
    wine[FEATURES], wine["quality"], test_size=0.2, random_state=SEED
)
scaler = StandardScaler().fit(X_train)
svr = SVR(C=3.0, epsilon=0.2).fit(scaler.transform(X_train), y_train)
print("test R2:", svr.score(scaler.transform(X_test), y_test))

joblib.dump(svr, MODEL_PATH)
np.savez(f"{MODEL_DIR}/scaler_params.npz", mean=scaler.mean_, scale=scaler.scale_)  # expect: PRE005
