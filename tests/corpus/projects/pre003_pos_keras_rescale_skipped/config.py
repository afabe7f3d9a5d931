from pathlib import Path

DATA_DIR = Path("data/flowers")
MODEL_DIR = Path("models")
MODEL_PATH = MODEL_DIR / "flowers_cnn.keras"
IMAGE_SIZE = (180, 180)
CLASS_NAMES = ["daisy", "dandelion", "roses", "sunflowers", "tulips"]
SEED = 123
