"""Train and evaluate a k-NN classifier on the wine data (scaler fitted on train only)."""
import joblib
import numpy as np
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

np.random.seed(1)
X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=1)

scaler = StandardScaler().fit(X_train)
knn = KNeighborsClassifier(n_neighbors=7)
knn.fit(scaler.transform(X_train), y_train)
print("accuracy:", (knn.predict(scaler.transform(X_test)) == y_test).mean())

joblib.dump(knn, "models/wine_knn.joblib")
joblib.dump(scaler, "models/wine_scaler.joblib")
