"""Fashion-MNIST MLP. One preprocess() used for training and for prediction."""
import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(7)


def preprocess(images):
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def build():
    return tf.keras.Sequential([
        tf.keras.Input(shape=(784,)),
        tf.keras.layers.Dense(256, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])


if __name__ == "__main__":
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.fashion_mnist.load_data()
    model = build()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(preprocess(x_train), y_train, epochs=10, batch_size=128)
    model.save("fashion_mlp.keras")

    loss, acc = model.evaluate(preprocess(x_test), y_test)
    preds = model.predict(preprocess(x_test[:16])).argmax(axis=1)
    print(f"test accuracy {acc:.3f}; first predictions {preds}")
