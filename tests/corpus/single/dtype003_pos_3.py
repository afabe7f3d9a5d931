"""CIFAR-10 CNN (channels-last), plus a check on a batch exported from the PyTorch pipeline."""
import numpy as np
import tensorflow as tf

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

exported = np.load("data/torch_batch.npy").astype("float32") / 255.0  # uint8, saved as NCHW
preds = model.predict(exported.reshape(16, 3, 32, 32))  # expect: DTYPE003
print(preds.argmax(axis=1))
