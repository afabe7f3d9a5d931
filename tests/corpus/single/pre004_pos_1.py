"""Breast-cancer classifier with a held-out test set."""
import joblib
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

SEED = 8
np.random.seed(SEED)

X, y = load_breast_cancer(return_X_y=True)
scaler = StandardScaler()
X_scaled = scaler.fit_transform(X)  # expect: PRE004

X_train, X_test, y_train, y_test = train_test_split(
    X_scaled, y, test_size=0.2, stratify=y, random_state=SEED
)
clf = LogisticRegression(max_iter=5000, random_state=SEED).fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

joblib.dump(clf, "models/cancer_lr.joblib")
joblib.dump(scaler, "models/cancer_scaler.joblib")
