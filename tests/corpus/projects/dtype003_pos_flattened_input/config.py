MODEL_PATH = "models/digits8x8.keras"
SEED = 3
