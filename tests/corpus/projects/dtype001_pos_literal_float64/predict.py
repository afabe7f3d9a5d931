"""Which iris is this? Measurements in cm."""
import numpy as np
from tensorflow import keras

from config import MODEL_PATH, SPECIES

model = keras.models.load_model(MODEL_PATH)

flower = np.array([[5.1, 3.5, 1.4, 0.2]])  # sepal length/width, petal length/width
probs = model.predict(flower)  # expect: DTYPE001
print(SPECIES[int(probs.argmax())], probs.max())
