"""Accuracy and AUC of the saved churn model on the test split."""
import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from common import CKPT, CONFIG, ChurnMLP


def evaluate(path="data/churn_test.npz"):
    model = ChurnMLP(**CONFIG)
    model.load_state_dict(torch.load(CKPT, weights_only=True))
    data = np.load(path)
    x = torch.tensor(data["x"], dtype=torch.float32)
    with torch.no_grad():
        scores = torch.sigmoid(model(x)).numpy()  # expect: MODE001
    return {"accuracy": float(((scores > 0.5) == data["y"]).mean()), "auc": roc_auc_score(data["y"], scores)}


if __name__ == "__main__":
    print(evaluate())
