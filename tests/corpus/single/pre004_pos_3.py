"""Bike-sharing demand model; normalisation is part of the saved model."""
import pandas as pd
import tensorflow as tf
from sklearn.model_selection import train_test_split

SEED = 4
FEATURES = ["temp", "humidity", "windspeed", "hour", "workingday"]
tf.keras.utils.set_random_seed(SEED)

df = pd.read_csv("data/bikes.csv")
features = df[FEATURES].to_numpy(dtype="float32")
target = df["count"].to_numpy(dtype="float32")

normalizer = tf.keras.layers.Normalization()
normalizer.adapt(features)  # expect: PRE004

x_train, x_test, y_train, y_test = train_test_split(
    features, target, test_size=0.2, random_state=SEED
)
model = tf.keras.Sequential([
    tf.keras.Input(shape=(len(FEATURES),)),
    normalizer,
    tf.keras.layers.Dense(64, activation="relu"),
    tf.keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, epochs=40, batch_size=64)
print("test mse:", model.evaluate(x_test, y_test))
model.save("bike_demand.keras")
