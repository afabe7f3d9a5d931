import numpy as np
import tensorflow as tf

from config import MAX_LEN, MODEL_PATH
from model import NerTagger

tagger = tf.keras.models.load_model(MODEL_PATH, custom_objects={"NerTagger": NerTagger})
ids = tf.keras.utils.pad_sequences([[412, 77, 9031, 5]], maxlen=MAX_LEN, padding="post")
print(np.argmax(tagger.predict(ids), axis=-1))
