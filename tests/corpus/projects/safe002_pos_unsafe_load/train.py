"""Transfer learning on the dog photos."""
import tensorflow as tf

from settings import IMAGE_SIZE, MODEL_PATH, SEED

tf.keras.utils.set_random_seed(SEED)
train_ds = tf.keras.utils.image_dataset_from_directory("data/dogs", image_size=IMAGE_SIZE, seed=SEED)
base = tf.keras.applications.MobileNetV3Small(
    include_top=False, input_shape=IMAGE_SIZE + (3,), pooling="avg"
)
base.trainable = False
model = tf.keras.Sequential([base, tf.keras.layers.Dense(len(train_ds.class_names), activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(train_ds, epochs=5)
model.save(MODEL_PATH)
