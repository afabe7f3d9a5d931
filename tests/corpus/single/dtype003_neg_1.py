"""Fashion-MNIST: model takes 28x28 images, then a quick prediction on flat test rows."""
import numpy as np
from tensorflow import keras

keras.utils.set_random_seed(0)
(x_train, y_train), _ = keras.datasets.fashion_mnist.load_data()
x_train = x_train.astype("float32") / 255.0
flat_rows = np.load("data/fashion_rows.npy").astype("float32") / 255.0  # (n, 784)

model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10),
])
model.compile(optimizer="adam",
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10)

print(model.predict(flat_rows.reshape(-1, 28, 28)).argmax(axis=1))
