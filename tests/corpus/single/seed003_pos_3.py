"""Five-fold CV of a ridge model on the housing data."""
import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, cross_val_score

df = pd.read_csv("data/housing.csv")
X, y = df.drop(columns=["price"]).to_numpy(), df["price"].to_numpy()
folds = KFold(n_splits=5, shuffle=True)  # expect: SEED003
scores = cross_val_score(Ridge(alpha=1.0), X, y, cv=folds, scoring="r2")
print(f"R2 {np.mean(scores):.3f} +/- {np.std(scores):.3f}")
