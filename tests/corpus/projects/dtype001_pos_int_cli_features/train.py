"""Estimate apartment rent from rooms, floor, age and distance to the centre."""
import numpy as np
import pandas as pd
import tensorflow as tf

tf.keras.utils.set_random_seed(9)
FEATURES = ["rooms", "floor", "age_years", "km_to_centre"]

flats = pd.read_csv("data/flats.csv")
x = flats[FEATURES].to_numpy().astype(np.float32)
y = flats["rent"].to_numpy().astype(np.float32)

norm = tf.keras.layers.Normalization()
norm.adapt(x)
model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), norm,
                             tf.keras.layers.Dense(32, activation="relu"), tf.keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mae")
model.fit(x, y, epochs=80, batch_size=64)
model.save("rent.keras")
