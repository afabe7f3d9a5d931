"""Wind-turbine power curve: dense network on z-scored SCADA features."""
import numpy as np
from tensorflow import keras

keras.utils.set_random_seed(99)

data = np.load("data/scada.npz")
X, y = data["features"].astype("float32"), data["power"].astype("float32")

# z-score every feature
mean = X.mean(axis=0)  # expect: PRE004
std = X.std(axis=0) + 1e-6
X = (X - mean) / std

n_train = int(0.8 * len(X))
X_train, X_val = X[:n_train], X[n_train:]
y_train, y_val = y[:n_train], y[n_train:]

model = keras.Sequential([
    keras.Input(shape=(X.shape[1],)),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss="mae")
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=100, batch_size=512)
model.save("turbine_power.keras")
