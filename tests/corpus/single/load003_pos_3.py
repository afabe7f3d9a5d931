"""Autoencoder for anomaly detection with a custom sampling layer (VAE)."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers, ops


@keras.saving.register_keras_serializable()
class Sampling(layers.Layer):
    """Reparameterisation trick: z = mean + exp(log_var / 2) * eps."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


keras.utils.set_random_seed(8)
x_train = np.load("data/vibration_windows.npy").astype("float32")
inputs = keras.Input(shape=(x_train.shape[1],))
h = layers.Dense(64, activation="relu")(inputs)
z_mean, z_log_var = layers.Dense(8)(h), layers.Dense(8)(h)
z = Sampling(seed=8)([z_mean, z_log_var])
outputs = layers.Dense(x_train.shape[1])(layers.Dense(64, activation="relu")(z))
vae = keras.Model(inputs, outputs)
vae.compile(optimizer="adam", loss="mse")
vae.fit(x_train, x_train, epochs=50, batch_size=256)
keras.models.save_model(vae, "vae_vibration.hdf5")  # expect: LOAD003
