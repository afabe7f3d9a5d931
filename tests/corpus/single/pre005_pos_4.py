"""Anomaly scores for the vibration sensors (autoencoder exported from training)."""
import numpy as np
import onnxruntime as ort


class Predictor:
    def __init__(self, model_dir="export"):
        self.session = ort.InferenceSession(f"{model_dir}/autoencoder.onnx")
        # MinMaxScaler.data_min_ / data_max_ from training
        stats = np.load(f"{model_dir}/minmax.npz")
        self.data_min = stats["data_min"]
        self.data_max = stats["data_max"]

    def predict(self, window):
        x = (window - self.data_min) / (self.data_max - self.data_min)  # expect: PRE005
        x = x.astype(np.float32)
        recon = self.session.run(None, {"input": x})[0]
        return np.mean((recon - x) ** 2, axis=1)
