"""Wine-quality regressor (SVR needs standardised inputs)."""
import joblib
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

from config import FEATURES, MODEL_PATH, SEED

np.random.seed(SEED)
wine = pd.read_csv("data/winequality-red.csv", sep=";")
X_train, X_test, y_train, y_test = train_test_split(
    wine[FEATURES], wine["quality"], test_size=0.2, random_state=SEED
)
scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)  # expect: PRE001
X_test = scaler.transform(X_test)

svr = SVR(C=3.0, epsilon=0.2)
svr.fit(X_train, y_train)
print("test R2:", svr.score(X_test, y_test))
joblib.dump(svr, MODEL_PATH)
