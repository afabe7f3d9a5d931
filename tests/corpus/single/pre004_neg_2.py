"""Compare regularisation strengths with 5-fold CV; scaling is refit inside each fold."""
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_diabetes(return_X_y=True)
cv = KFold(n_splits=5, shuffle=True, random_state=0)

for alpha in [0.01, 0.1, 1.0, 10.0]:
    pipe = make_pipeline(StandardScaler(), Ridge(alpha=alpha))
    scores = cross_val_score(pipe, X, y, cv=cv, scoring="r2")
    print(f"alpha={alpha:<5} r2={np.mean(scores):.3f} +/- {np.std(scores):.3f}")
