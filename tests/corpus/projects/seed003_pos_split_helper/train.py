"""TF-IDF + linear SVM baseline for star ratings."""
import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from data import load_splits

np.random.seed(0)
train, test = load_splits()
pipe = make_pipeline(TfidfVectorizer(min_df=3, ngram_range=(1, 2)), LinearSVC(C=0.5, random_state=0))
pipe.fit(train["text"], train["stars"])
print("test accuracy:", pipe.score(test["text"], test["stars"]))
joblib.dump(pipe, "models/stars_svm.joblib")
