"""Exploratory look at the sensor data: PCA projection for a scatter plot.

Nothing is trained or saved here; the scaler only exists for the plot.
"""
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

df = pd.read_csv("data/sensors.csv")
features = df.drop(columns=["machine_id", "state"])

scaled = StandardScaler().fit_transform(features)
coords = PCA(n_components=2, random_state=0).fit_transform(scaled)

fig, ax = plt.subplots(figsize=(6, 6))
ax.scatter(coords[:, 0], coords[:, 1], c=df["state"].astype("category").cat.codes, s=4)
ax.set_title("sensor readings, first two principal components")
fig.savefig("reports/pca.png", dpi=150)
