"""Employee-attrition model on one-hot encoded HR data."""
import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

np.random.seed(0)
hr = pd.read_csv("data/hr_train.csv")
X = pd.get_dummies(hr.drop(columns=["employee_id", "left"]), columns=["department", "salary_band"])
clf = LogisticRegression(max_iter=2000, random_state=0).fit(X, hr["left"])
joblib.dump(clf, "models/attrition_lr.joblib")
