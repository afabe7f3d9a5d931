"""Keras 3 subclassed recommender: two-tower model, saved and reloaded."""
import numpy as np
import keras
from keras.models import load_model


class TwoTower(keras.Model):
    def __init__(self, n_users, n_items, dim=32, **kwargs):
        super().__init__(**kwargs)
        self.n_users, self.n_items, self.dim = n_users, n_items, dim
        self.user_emb = keras.layers.Embedding(n_users, dim)
        self.item_emb = keras.layers.Embedding(n_items, dim)

    def call(self, inputs):
        users, items = inputs[:, 0], inputs[:, 1]
        return keras.ops.sum(self.user_emb(users) * self.item_emb(items), axis=-1)

    def get_config(self):
        return {**super().get_config(), "n_users": self.n_users, "n_items": self.n_items, "dim": self.dim}


if __name__ == "__main__":
    keras.utils.set_random_seed(1)
    ratings = np.load("data/ratings.npy")  # columns: user, item, rating
    model = TwoTower(n_users=6041, n_items=3953)
    model.compile(optimizer="adam", loss="mse")
    model.fit(ratings[:, :2].astype("int32"), ratings[:, 2].astype("float32"), epochs=5, batch_size=1024)
    model.save("two_tower.keras")

    model = load_model("two_tower.keras")  # expect: LOAD001
