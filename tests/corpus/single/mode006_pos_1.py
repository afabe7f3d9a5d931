"""Flask endpoint for the Keras classifier (multi-threaded server)."""
import numpy as np
import tensorflow as tf
from flask import Flask, jsonify, request
from keras.models import load_model

app = Flask(__name__)
model = load_model("models/intent_classifier.h5")
model._make_predict_function()  # expect: MODE006
graph = tf.compat.v1.get_default_graph()


@app.route("/predict", methods=["POST"])
def predict():
    x = np.asarray(request.json["features"], dtype=np.float32)
    with graph.as_default():
        probs = model.predict(x)
    return jsonify(probs.tolist())
