"""Train an SVM on scaled features, then report the holdout metrics."""
import joblib
import numpy as np
import pandas as pd
from sklearn.metrics import classification_report
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

SEED = 3


def evaluate(model, scaler, X, y):
    preds = model.predict(scaler.transform(X))
    print(classification_report(y, preds))


def main():
    np.random.seed(SEED)
    df = pd.read_csv("data/heart.csv")
    X, y = df.drop(columns=["target"]), df["target"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED)

    scaler = StandardScaler()
    X_train_s = scaler.fit_transform(X_train)
    model = SVC(C=2.0, kernel="rbf", random_state=SEED)
    model.fit(X_train_s, y_train)

    evaluate(model, scaler, X_test, y_test)
    joblib.dump(model, "models/heart_svm.joblib")
    joblib.dump(scaler, "models/heart_scaler.joblib")


if __name__ == "__main__":
    main()
