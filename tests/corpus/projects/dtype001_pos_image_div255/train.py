"""Traffic-sign classifier (GTSRB, 32x32 crops stored in an npz)."""
import numpy as np
import tensorflow as tf

from paths import ARTIFACTS, IMG_SIZE, MODEL_FILE

tf.keras.utils.set_random_seed(43)
data = np.load("data/gtsrb_train.npz")
x_train = data["images"].astype("float32") / 255.0
y_train = data["labels"]

model = tf.keras.Sequential([
    tf.keras.Input(shape=(IMG_SIZE, IMG_SIZE, 3)),
    tf.keras.layers.Conv2D(32, 3, activation="relu"),
    tf.keras.layers.MaxPooling2D(),
    tf.keras.layers.Conv2D(64, 3, activation="relu"),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dropout(0.4),
    tf.keras.layers.Dense(43, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=12, batch_size=128)

ARTIFACTS.mkdir(exist_ok=True)
model.save(MODEL_FILE)
