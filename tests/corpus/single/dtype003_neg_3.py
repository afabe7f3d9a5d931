"""CIFAR-10 CNN (channels-last); classify one PNG."""
import numpy as np
import tensorflow as tf
from PIL import Image

tf.keras.utils.set_random_seed(2)
(x_train, y_train), _ = tf.keras.datasets.cifar10.load_data()
x_train = x_train.astype("float32") / 255.0

inputs = tf.keras.Input(shape=(32, 32, 3))
h = tf.keras.layers.Conv2D(32, 3, activation="relu")(inputs)
h = tf.keras.layers.MaxPooling2D()(h)
h = tf.keras.layers.Conv2D(64, 3, activation="relu")(h)
h = tf.keras.layers.GlobalAveragePooling2D()(h)
model = tf.keras.Model(inputs, tf.keras.layers.Dense(10, activation="softmax")(h))
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=8, batch_size=128)

img = np.asarray(Image.open("frog.png").convert("RGB").resize((32, 32)), dtype="float32") / 255.0
print(model.predict(np.expand_dims(img, axis=0)).argmax())
