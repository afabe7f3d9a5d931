"""Score a parquet file of transactions."""
import sys

import pandas as pd
import tensorflow as tf

from config import FEATURES, MODEL_PATH


def main(path):
    model = tf.keras.models.load_model(MODEL_PATH)  # expect: LOAD001
    txns = pd.read_parquet(path)
    txns["fraud_score"] = model.predict(txns[FEATURES].to_numpy(dtype="float32"))[:, 0]
    txns.to_parquet(path.replace(".parquet", "_scored.parquet"))


if __name__ == "__main__":
    main(sys.argv[1])
