"""Toy regression from the course notebook: learn y = 2x - 1 with one Dense unit."""
import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)

xs = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0]).reshape(-1, 1).astype(np.float32)
ys = np.array([-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]).reshape(-1, 1).astype(np.float32)

model = tf.keras.Sequential([tf.keras.Input(shape=(1,)), tf.keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mean_squared_error")
model.fit(xs, ys, epochs=500, verbose=0)
model.save("linear.keras")

print(model.predict(np.array([[4], [5]])))  # expect: DTYPE001
