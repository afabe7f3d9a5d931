"""Cross-validated AUC with reproducible folds."""
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import KFold, StratifiedShuffleSplit, cross_val_score

SEED = 7
np.random.seed(SEED)
df = pd.read_csv("data/credit.csv")
X, y = df.drop(columns=["target"]), df["target"]

model = HistGradientBoostingClassifier(random_state=SEED)
print("ordered 5-fold:", cross_val_score(model, X, y, cv=KFold(n_splits=5), scoring="roc_auc").mean())
sss = StratifiedShuffleSplit(n_splits=10, test_size=0.2, random_state=SEED)
print("10 stratified shuffles:", cross_val_score(model, X, y, cv=sss, scoring="roc_auc").mean())
holdout = df.sample(frac=0.1, random_state=SEED)
print("holdout rows:", len(holdout))
