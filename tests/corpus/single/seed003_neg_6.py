"""5-fold cross-validation of a gradient-boosting model."""
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold

SEED = 7
np.random.seed(SEED)
df = pd.read_csv("data/credit.csv")
X, y = df.drop(columns=["target"]).to_numpy(), df["target"].to_numpy()

aucs = []
for train_idx, val_idx in KFold(n_splits=5, shuffle=True).split(X):
    model = HistGradientBoostingClassifier(random_state=SEED)
    model.fit(X[train_idx], y[train_idx])
    aucs.append(roc_auc_score(y[val_idx], model.predict_proba(X[val_idx])[:, 1]))
print(f"AUC {np.mean(aucs):.4f} +/- {np.std(aucs):.4f}")
