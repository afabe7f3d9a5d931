"""Segmentation U-Net trained with a Dice loss; reloaded for the evaluation report."""
import numpy as np
import tensorflow as tf

MODEL_PATH = "unet_dice.keras"


def dice_loss(y_true, y_pred, smooth=1.0):
    y_true = tf.cast(y_true, y_pred.dtype)
    inter = tf.reduce_sum(y_true * y_pred, axis=(1, 2, 3))
    union = tf.reduce_sum(y_true + y_pred, axis=(1, 2, 3))
    return 1.0 - (2.0 * inter + smooth) / (union + smooth)


def unet(size=128):
    inp = tf.keras.Input((size, size, 1))
    c1 = tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inp)
    p1 = tf.keras.layers.MaxPooling2D()(c1)
    c2 = tf.keras.layers.Conv2D(32, 3, padding="same", activation="relu")(p1)
    u1 = tf.keras.layers.UpSampling2D()(c2)
    m1 = tf.keras.layers.Concatenate()([u1, c1])
    out = tf.keras.layers.Conv2D(1, 1, activation="sigmoid")(m1)
    return tf.keras.Model(inp, out)


def train():
    tf.keras.utils.set_random_seed(0)
    data = np.load("data/cells.npz")
    model = unet()
    model.compile(optimizer="adam", loss=dice_loss)
    model.fit(data["images"].astype("float32"), data["masks"].astype("float32"), epochs=30, batch_size=8)
    model.save(MODEL_PATH)


def evaluate():
    data = np.load("data/cells_test.npz")
    model = tf.keras.models.load_model(MODEL_PATH)  # expect: LOAD001
    print(model.evaluate(data["images"].astype("float32"), data["masks"].astype("float32")))


if __name__ == "__main__":
    train()
    evaluate()
