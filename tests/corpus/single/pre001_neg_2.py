"""Fit a text classifier; vectoriser and model are saved together as one Pipeline."""
import argparse
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/tickets.csv")
    parser.add_argument("--out", type=Path, default=Path("models"))
    args = parser.parse_args()

    np.random.seed(13)
    tickets = pd.read_csv(args.data)
    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2),
        LogisticRegression(max_iter=2000, C=4.0, random_state=13),
    )
    pipe.fit(tickets["body"], tickets["queue"])

    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "ticket_router.pkl", "wb") as f:
        pickle.dump(pipe, f)


if __name__ == "__main__":
    main()
