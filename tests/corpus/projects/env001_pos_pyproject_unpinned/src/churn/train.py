"""Train the churn network and write it to artifacts/churn.keras."""
from pathlib import Path

import numpy as np
from tensorflow import keras

ARTIFACT = Path("artifacts") / "churn.keras"


def main() -> None:
    keras.utils.set_random_seed(0)
    data = np.load("data/churn_train.npz")
    x, y = data["x"].astype("float32"), data["y"].astype("float32")

    norm = keras.layers.Normalization()
    norm.adapt(x)
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        norm,
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["AUC"])
    model.fit(x, y, epochs=20, batch_size=128)
    ARTIFACT.parent.mkdir(exist_ok=True)
    model.save(ARTIFACT)


if __name__ == "__main__":
    main()
