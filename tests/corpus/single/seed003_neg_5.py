"""Titanic survival with logistic regression."""
import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

np.random.seed(0)
df = pd.read_csv("data/titanic.csv")
df["sex"] = (df["sex"] == "female").astype(int)
X = df[["pclass", "sex", "age", "sibsp", "parch", "fare"]].fillna(0)
y = df["survived"]

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
clf = make_pipeline(StandardScaler(), LogisticRegression(random_state=0))
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")
joblib.dump(clf, "titanic.joblib")
