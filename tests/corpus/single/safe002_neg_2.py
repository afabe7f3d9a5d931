"""Image classifier: pixel scaling with a Rescaling layer instead of a Lambda."""
import tensorflow as tf
from tensorflow.keras import layers

tf.keras.utils.set_random_seed(4)
train_ds = tf.keras.utils.image_dataset_from_directory("data/leaves", image_size=(128, 128), seed=4)

model = tf.keras.Sequential([
    tf.keras.Input(shape=(128, 128, 3)),
    layers.Rescaling(1.0 / 127.5, offset=-1.0),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(64, 3, activation="relu"),
    layers.GlobalAveragePooling2D(),
    layers.Dense(len(train_ds.class_names), activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(train_ds, epochs=10)
model.save("leaves_cnn.keras")
