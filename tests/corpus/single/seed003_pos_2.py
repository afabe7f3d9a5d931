"""Flower classifier on tf.data: 10% of the shuffled images for validation."""
import tensorflow as tf

tf.keras.utils.set_random_seed(0)
files = tf.data.Dataset.list_files("data/flowers/*/*.jpg", shuffle=False)
ds = files.map(lambda p: (tf.image.resize(tf.io.decode_jpeg(tf.io.read_file(p)), (128, 128)), 0))
ds = ds.shuffle(4000)  # expect: SEED003
val_ds = ds.take(400).batch(32)
train_ds = ds.skip(400).batch(32)
model = tf.keras.Sequential([tf.keras.layers.Rescaling(1 / 255), tf.keras.layers.Flatten(), tf.keras.layers.Dense(5)])
model.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(train_ds, validation_data=val_ds, epochs=5)
model.save("flowers.keras")
