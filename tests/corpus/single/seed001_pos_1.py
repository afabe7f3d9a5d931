"""Train the spam classifier on TF-IDF features with a small Keras network."""
import numpy as np
from tensorflow import keras

data = np.load("data/spam_tfidf.npz")
x_train = data["x"].astype("float32")
y_train = data["y"].astype("float32")

model = keras.Sequential([
    keras.Input(shape=(x_train.shape[1],)),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=64, shuffle=True)  # expect: SEED001
model.save("spam_dense.keras")
