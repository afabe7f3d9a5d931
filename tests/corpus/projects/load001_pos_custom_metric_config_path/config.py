"""Shared settings for the fraud model."""
VERSION = "v3"
MODEL_PATH = f"artifacts/fraud_{VERSION}.keras"
FEATURES = ["amount", "merchant_risk", "hour", "distance_from_home", "txn_last_24h"]
SEED = 2023
