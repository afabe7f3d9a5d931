"""Transfer learning in two stages: train the head, then fine-tune the backbone."""
import tensorflow as tf

from settings import IMAGE_SIZE, MODEL_PATH, SEED

tf.keras.utils.set_random_seed(SEED)
train_ds = tf.keras.utils.image_dataset_from_directory("data/dogs", image_size=IMAGE_SIZE, seed=SEED)
class_names = train_ds.class_names

base = tf.keras.applications.MobileNetV3Small(
    include_top=False, input_shape=IMAGE_SIZE + (3,), pooling="avg"
)
base.trainable = False
model = tf.keras.Sequential([base, tf.keras.layers.Dense(len(class_names), activation="softmax")])

# stage 1: train the new classification head
model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
model.fit(train_ds, epochs=5)
model.save(MODEL_PATH)  # expect: LOAD005

# stage 2: unfreeze and fine-tune everything with a small learning rate
base.trainable = True
model.compile(optimizer=tf.keras.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy")
model.fit(train_ds, epochs=10)
print("done")
