"""Two-stage transfer learning; the model is saved again after fine-tuning."""
import tensorflow as tf

OUT = "models/dogs_mobilenet.keras"
tf.keras.utils.set_random_seed(2)
train_ds = tf.keras.utils.image_dataset_from_directory("data/dogs", image_size=(224, 224), seed=2)

base = tf.keras.applications.MobileNetV3Small(include_top=False, input_shape=(224, 224, 3), pooling="avg")
base.trainable = False
model = tf.keras.Sequential([base, tf.keras.layers.Dense(len(train_ds.class_names), activation="softmax")])

model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
model.fit(train_ds, epochs=5)
model.save(OUT)  # stage-1 result, kept in case fine-tuning diverges

base.trainable = True
model.compile(optimizer=tf.keras.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy")
model.fit(train_ds, epochs=5)
model.save(OUT)
