"""Churn model: hold out a fifth of the customers and report the test AUC."""
import joblib
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

df = pd.read_csv("data/churn.csv")
X = df.drop(columns=["churned"])
y = df["churned"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y)  # expect: SEED003
clf = RandomForestClassifier(n_estimators=300, random_state=0)
clf.fit(X_train, y_train)
print(f"test AUC: {roc_auc_score(y_test, clf.predict_proba(X_test)[:, 1]):.3f}")
joblib.dump(clf, "churn_rf.joblib")
