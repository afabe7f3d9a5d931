"""Reload the flowers CNN (built-in layers only) and print its test accuracy."""
import tensorflow as tf

test_ds = tf.keras.utils.image_dataset_from_directory(
    "data/flowers_test", image_size=(180, 180), batch_size=64, shuffle=False
)
model = tf.keras.models.load_model("models/flowers_cnn.keras")
loss, acc = model.evaluate(test_ds)
print(f"accuracy: {acc:.3f}")
