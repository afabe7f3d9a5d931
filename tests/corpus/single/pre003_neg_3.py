"""Train the churn pipeline and sanity-check it on a few raw rows."""
import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = ["tenure_months", "monthly_charges", "support_calls"]

np.random.seed(5)
train = pd.read_csv("data/churn_train.csv")
pipe = Pipeline([
    ("scale", StandardScaler()),
    ("clf", LogisticRegression(max_iter=500, random_state=5)),
])
pipe.fit(train[FEATURES], train["churned"])
joblib.dump(pipe, "models/churn_pipe.joblib")

# the pipeline applies the same scaling to raw rows
sample = pd.read_csv("data/churn_sample.csv")
print(pipe.predict(sample[FEATURES]))
