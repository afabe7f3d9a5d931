"""Hold out 20% of the ratings for validation and fit the matrix-factorisation model."""
import numpy as np
import pandas as pd
from surprise import SVD, Dataset, Reader, accuracy

np.random.seed(0)
ratings = pd.read_csv("data/ratings.csv")
valid = ratings.sample(frac=0.2)
train = ratings.drop(valid.index)

reader = Reader(rating_scale=(1, 5))
trainset = Dataset.load_from_df(train[["user_id", "item_id", "rating"]], reader).build_full_trainset()
algo = SVD(n_factors=64, random_state=0)
algo.fit(trainset)
predictions = algo.test(list(valid[["user_id", "item_id", "rating"]].itertuples(index=False, name=None)))
accuracy.rmse(predictions)
