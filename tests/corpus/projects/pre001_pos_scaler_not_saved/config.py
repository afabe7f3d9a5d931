import os

MODEL_DIR = "models"
MODEL_PATH = os.path.join(MODEL_DIR, "wine_quality_svr.joblib")
FEATURES = ["fixed_acidity", "volatile_acidity", "citric_acid", "residual_sugar",
            "chlorides", "free_sulfur_dioxide", "density", "pH", "sulphates", "alcohol"]
SEED = 5
