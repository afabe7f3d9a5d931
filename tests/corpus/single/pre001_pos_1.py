"""Credit-default model: gradient boosting on standardised applicant features."""
import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

SEED = 42
FEATURES = ["income", "debt_ratio", "age", "open_credit_lines", "late_payments"]

np.random.seed(SEED)
df = pd.read_csv("data/applicants.csv")
X_train, X_test, y_train, y_test = train_test_split(
    df[FEATURES], df["default"], test_size=0.25, random_state=SEED
)

scaler = StandardScaler()
X_train_s = scaler.fit_transform(X_train)  # expect: PRE001
X_test_s = scaler.transform(X_test)

model = GradientBoostingClassifier(n_estimators=200, max_depth=3, random_state=SEED)
model.fit(X_train_s, y_train)
print(f"holdout accuracy: {model.score(X_test_s, y_test):.3f}")

joblib.dump(model, "models/credit_gbm.joblib")
