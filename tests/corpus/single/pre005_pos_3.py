"""Train the house-price model and provide a predict() for the batch job."""
import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.preprocessing import StandardScaler

FEATURES = ["sqft", "bedrooms", "bathrooms", "year_built"]


def train():
    np.random.seed(21)
    df = pd.read_csv("data/houses_train.csv")
    scaler = StandardScaler()
    X = scaler.fit_transform(df[FEATURES])
    model = HistGradientBoostingRegressor(max_iter=300, random_state=21)
    model.fit(X, df["price"])
    joblib.dump(model, "models/hgb.joblib")
    np.save("models/scaler_mean.npy", scaler.mean_)  # expect: PRE005
    np.save("models/scaler_scale.npy", scaler.scale_)


def predict(frame):
    model = joblib.load("models/hgb.joblib")
    mean = np.load("models/scaler_mean.npy")
    scale = np.load("models/scaler_scale.npy")
    X = (frame[FEATURES].to_numpy() - mean) / scale  # expect: PRE005
    return model.predict(X)


if __name__ == "__main__":
    train()
