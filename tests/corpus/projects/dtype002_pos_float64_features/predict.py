"""Suggest credit limits for the applications in a JSON-lines file."""
import json
import sys

import numpy as np
import torch

from model import load_regressor

FEATURES = [f"f{i:02d}" for i in range(16)]


def main(path):
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    features = np.array([[row[name] for name in FEATURES] for row in rows], dtype=np.float64)

    model = load_regressor()
    with torch.no_grad():
        limits = model(torch.as_tensor(features))  # expect: DTYPE002
    for row, limit in zip(rows, limits.tolist()):
        print(row["application_id"], round(limit, -2))


if __name__ == "__main__":
    main(sys.argv[1])
