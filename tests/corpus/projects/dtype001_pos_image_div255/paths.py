from pathlib import Path

ARTIFACTS = Path("artifacts")
MODEL_FILE = ARTIFACTS / "sign_classifier.keras"
IMG_SIZE = 32
