"""Nightly job: label incoming tickets with the category model."""
import pickle

import pandas as pd


class TicketClassifier:
    def __init__(self, path="models/ticket_rf.pkl"):
        with open(path, "rb") as f:
            self.model = pickle.load(f)

    def predict(self, tickets: pd.DataFrame):
        features = tickets[["channel", "product", "priority", "n_messages"]]
        X = pd.get_dummies(features, columns=["channel", "product", "priority"])  # expect: PRE006
        return self.model.predict(X)


if __name__ == "__main__":
    incoming = pd.read_parquet("data/tickets_today.parquet")
    print(TicketClassifier().predict(incoming))
