"""8x8 digits (scikit-learn's load_digits) with a small convolutional net."""
from sklearn.datasets import load_digits
from tensorflow import keras

from config import MODEL_PATH, SEED

keras.utils.set_random_seed(SEED)
digits = load_digits()
x = (digits.images / 16.0).astype("float32")[..., None]  # (n, 8, 8, 1)

model = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
    keras.layers.Flatten(),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, digits.target, epochs=30, batch_size=32)
model.save(MODEL_PATH)
