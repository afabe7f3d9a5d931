"""Fit the diabetes-risk MLP on standardised lab values."""
import joblib
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

import config


def main():
    np.random.seed(config.SEED)
    df = pd.read_csv("data/diabetes.csv")
    X_train, X_val, y_train, y_val = train_test_split(
        df[config.FEATURES], df["outcome"], test_size=0.2, random_state=config.SEED
    )
    scaler = StandardScaler().fit(X_train)
    clf = MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=800, random_state=config.SEED)
    clf.fit(scaler.transform(X_train), y_train)
    print("val accuracy:", clf.score(scaler.transform(X_val), y_val))

    joblib.dump(clf, config.MODEL_FILE)
    joblib.dump(scaler, config.SCALER_FILE)


if __name__ == "__main__":
    main()
