"""Fit the claim-cost model. One-hot encoding happens on the training table only."""
import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor

np.random.seed(10)
policies = pd.read_csv("data/policies_train.csv")
X = pd.get_dummies(policies.drop(columns=["policy_id", "claim_cost"]), drop_first=True)
y = policies["claim_cost"]

model = GradientBoostingRegressor(n_estimators=400, learning_rate=0.05, random_state=10)
model.fit(X, y)
joblib.dump(model, "models/claims_gbr.joblib")
joblib.dump(list(X.columns), "models/claims_columns.joblib")
