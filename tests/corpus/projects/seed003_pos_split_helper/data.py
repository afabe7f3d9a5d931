"""Loading and splitting the reviews table."""
import pandas as pd
from sklearn.model_selection import train_test_split


def load_splits(path="data/reviews.csv", test_size=0.15):
    df = pd.read_csv(path).dropna(subset=["text"])
    train, test = train_test_split(df, test_size=test_size, stratify=df["stars"])  # expect: SEED003
    return train.reset_index(drop=True), test.reset_index(drop=True)
