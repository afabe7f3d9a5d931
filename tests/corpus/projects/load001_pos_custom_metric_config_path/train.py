"""Train the fraud network; the model includes its own normalisation."""
import pandas as pd
import tensorflow as tf

from config import FEATURES, MODEL_PATH, SEED
from metrics import focal_loss, recall_at_1pct_fpr

tf.keras.utils.set_random_seed(SEED)

df = pd.read_parquet("data/transactions_train.parquet")
x = df[FEATURES].to_numpy(dtype="float32")
y = df["is_fraud"].to_numpy(dtype="float32")

norm = tf.keras.layers.Normalization()
norm.adapt(x)
model = tf.keras.Sequential([
    tf.keras.Input(shape=(len(FEATURES),)),
    norm,
    tf.keras.layers.Dense(64, activation="relu"),
    tf.keras.layers.Dropout(0.2),
    tf.keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss=focal_loss, metrics=[recall_at_1pct_fpr])
model.fit(x, y, epochs=20, batch_size=2048)
model.save(MODEL_PATH)
