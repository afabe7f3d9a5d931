"""Fit the delivery-delay classifier and save the whole pipeline."""
import joblib
import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

SEED = 11
np.random.seed(SEED)
orders = pd.read_csv("data/orders.csv")
X, y = orders[["distance_km", "items", "hour", "carrier"]], orders["late"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED)

pipe = make_pipeline(
    make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["carrier"]), remainder="passthrough"),
    RandomForestClassifier(n_estimators=300, random_state=SEED),
)
pipe.fit(X_train, y_train)
print("test accuracy:", pipe.score(X_test, y_test))
joblib.dump(pipe, "models/late_delivery.joblib")
