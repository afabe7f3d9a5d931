"""Iris MLP: the classic first Keras model."""
from sklearn.datasets import load_iris
from tensorflow import keras

from config import MODEL_PATH, SEED

keras.utils.set_random_seed(SEED)
X, y = load_iris(return_X_y=True)
X = X.astype("float32")

norm = keras.layers.Normalization()
norm.adapt(X)
model = keras.Sequential([
    keras.Input(shape=(4,)),
    norm,
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X, y, epochs=100, batch_size=16, verbose=0)
model.save(MODEL_PATH)
