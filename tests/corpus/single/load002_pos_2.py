"""Subclassed image classifier, trained and exported to .keras."""
import numpy as np
import keras
from keras import layers


@keras.saving.register_keras_serializable(package="vision")
class SmallConvNet(keras.Model):  # expect: LOAD002
    def __init__(self, num_classes, dropout=0.25):
        super().__init__()
        self.conv1 = layers.Conv2D(32, 3, activation="relu")
        self.conv2 = layers.Conv2D(64, 3, activation="relu")
        self.pool = layers.GlobalMaxPooling2D()
        self.drop = layers.Dropout(dropout)
        self.head = layers.Dense(num_classes)

    def call(self, x, training=False):
        x = self.pool(self.conv2(self.conv1(x)))
        return self.head(self.drop(x, training=training))


if __name__ == "__main__":
    keras.utils.set_random_seed(3)
    (x_train, y_train), _ = keras.datasets.cifar10.load_data()
    model = SmallConvNet(num_classes=10)
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x_train.astype("float32") / 255.0, y_train, epochs=10, batch_size=128)
    model.save("small_convnet.keras")
