"""Train an image classifier whose augmentation layers are part of the model.

Keras random layers (RandomFlip, RandomRotation) only act when training=True,
so predict() and evaluate() on the saved model are deterministic.
"""
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(42)

augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])

inputs = keras.Input(shape=(160, 160, 3))
x = augment(inputs)
x = layers.Rescaling(1.0 / 255)(x)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(64, 3, activation="relu")(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)

train_ds = keras.utils.image_dataset_from_directory(
    "data/train", image_size=(160, 160), batch_size=32, seed=42
)
test_ds = keras.utils.image_dataset_from_directory(
    "data/test", image_size=(160, 160), batch_size=32, shuffle=False
)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(train_ds, epochs=10)
print(model.evaluate(test_ds))
model.save("cats_dogs.keras")
