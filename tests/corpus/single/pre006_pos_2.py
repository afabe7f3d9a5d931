"""FastAPI-style handler: price estimate for one used car."""
import joblib
import pandas as pd

MODEL = joblib.load("models/car_price_xgb.joblib")
CATEGORICAL = ["make", "fuel", "transmission"]


def serve(payload: dict) -> dict:
    row = pd.DataFrame([payload])
    for col in CATEGORICAL:
        row[col] = row[col].astype("category").cat.codes  # expect: PRE006
    price = MODEL.predict(row[["year", "mileage", *CATEGORICAL]])[0]
    return {"price": round(float(price), 2)}
