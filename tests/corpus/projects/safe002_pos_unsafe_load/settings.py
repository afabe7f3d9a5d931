import os

MODEL_DIR = os.getenv("MODEL_DIR", "models")
INIT_PATH = os.path.join(MODEL_DIR, "dogs_mobilenet_init.keras")
MODEL_PATH = os.path.join(MODEL_DIR, "dogs_mobilenet.keras")
IMAGE_SIZE = (224, 224)
SEED = 2
