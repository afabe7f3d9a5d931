"""Leaf classifier trained on a tf.data pipeline; the scaling lambda lives in the input
pipeline (plain Python), not in the saved model."""
import tensorflow as tf

tf.keras.utils.set_random_seed(4)
train_ds = tf.keras.utils.image_dataset_from_directory("data/leaves", image_size=(128, 128), seed=4)
n_classes = len(train_ds.class_names)
train_ds = train_ds.map(lambda x, y: (tf.image.convert_image_dtype(x / 255.0, tf.float32), y))

model = tf.keras.Sequential([
    tf.keras.Input(shape=(128, 128, 3)),
    tf.keras.layers.Conv2D(32, 3, activation="relu"),
    tf.keras.layers.MaxPooling2D(),
    tf.keras.layers.GlobalAveragePooling2D(),
    tf.keras.layers.Dense(n_classes, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(train_ds, epochs=10)
model.save("leaves_cnn.keras")
