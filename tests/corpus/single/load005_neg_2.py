"""Train with checkpointing of the best epoch, then evaluate that checkpoint."""
import numpy as np
import tensorflow as tf

BEST = "checkpoints/best_model.keras"

tf.keras.utils.set_random_seed(5)
train = np.load("data/activity_train.npz")
val = np.load("data/activity_val.npz")

model = tf.keras.Sequential([
    tf.keras.Input(shape=(128, 9)),
    tf.keras.layers.Conv1D(64, 5, activation="relu"),
    tf.keras.layers.GlobalMaxPooling1D(),
    tf.keras.layers.Dense(6, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
checkpoint = tf.keras.callbacks.ModelCheckpoint(BEST, monitor="val_accuracy", save_best_only=True)
model.fit(
    train["x"].astype("float32"), train["y"],
    validation_data=(val["x"].astype("float32"), val["y"]),
    epochs=40, batch_size=64, callbacks=[checkpoint],
)

best = tf.keras.models.load_model(BEST)
print(best.evaluate(val["x"].astype("float32"), val["y"]))
