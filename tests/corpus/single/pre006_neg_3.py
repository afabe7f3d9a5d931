"""Price estimate for one used car; category codes come from a fixed vocabulary."""
import joblib
import pandas as pd

MODEL = joblib.load("models/car_price_xgb.joblib")
VOCAB = {
    "make": ["audi", "bmw", "ford", "opel", "renault", "toyota", "vw"],
    "fuel": ["diesel", "electric", "hybrid", "petrol"],
    "transmission": ["automatic", "manual"],
}


def serve(payload: dict) -> dict:
    row = pd.DataFrame([payload])
    for col, categories in VOCAB.items():
        row[col] = pd.Categorical(row[col], categories=categories).codes
    price = MODEL.predict(row[["year", "mileage", *VOCAB]])[0]
    return {"price": round(float(price), 2)}
