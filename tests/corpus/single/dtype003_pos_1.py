"""Fashion-MNIST: model takes 28x28 images, then a quick prediction on test images."""
import numpy as np
from tensorflow import keras

keras.utils.set_random_seed(0)
(x_train, y_train), (x_test, _) = keras.datasets.fashion_mnist.load_data()
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0

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

batch = np.reshape(x_test[:10], (10, 784))
print(model.predict(batch).argmax(axis=1))  # expect: DTYPE003
