"""Evaluate the Dice-loss U-Net; the custom loss is provided through a scope."""
import numpy as np
import tensorflow as tf
from tensorflow import keras


def dice_loss(y_true, y_pred, smooth=1.0):
    y_true = tf.cast(y_true, y_pred.dtype)
    inter = tf.reduce_sum(y_true * y_pred, axis=(1, 2, 3))
    union = tf.reduce_sum(y_true + y_pred, axis=(1, 2, 3))
    return 1.0 - (2.0 * inter + smooth) / (union + smooth)


def evaluate(model_path="unet_dice.keras"):
    data = np.load("data/cells_test.npz")
    with keras.utils.custom_object_scope({"dice_loss": dice_loss}):
        model = keras.models.load_model(model_path)
    return model.evaluate(data["images"].astype("float32"), data["masks"].astype("float32"))


if __name__ == "__main__":
    print(evaluate())
