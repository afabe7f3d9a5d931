"""tf.keras 2.x script: CNN with a custom GeM pooling layer, exported as HDF5."""
import tensorflow as tf
from tensorflow.keras import layers


class GeMPooling(layers.Layer):
    """Generalised-mean pooling with a learned exponent p."""

    def __init__(self, p=3.0, eps=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.init_p, self.eps = p, eps

    def build(self, input_shape):
        self.p = self.add_weight(name="p", shape=(), initializer=tf.keras.initializers.Constant(self.init_p))

    def call(self, x):
        x = tf.pow(tf.maximum(x, self.eps), self.p)
        return tf.pow(tf.reduce_mean(x, axis=[1, 2]), 1.0 / self.p)

    def get_config(self):
        return {**super().get_config(), "p": self.init_p, "eps": self.eps}


tf.keras.utils.set_random_seed(0)
train_ds = tf.keras.utils.image_dataset_from_directory("data/landmarks", image_size=(224, 224), seed=0)
backbone = tf.keras.applications.MobileNetV2(include_top=False, input_shape=(224, 224, 3), weights="imagenet")
model = tf.keras.Sequential([
    layers.Rescaling(1.0 / 127.5, offset=-1),
    backbone,
    GeMPooling(),
    layers.Dense(len(train_ds.class_names), activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(train_ds, epochs=5)
model.save("exports/landmarks", save_format="h5")  # expect: LOAD003
