import numpy as np
import tensorflow as tf

from config import MODEL_PATH, N_TAGS, VOCAB
from model import NerTagger

tf.keras.utils.set_random_seed(0)
data = np.load("data/conll_ids.npz")
tagger = NerTagger(VOCAB, N_TAGS)
tagger.compile(optimizer="adam",
               loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
tagger.fit(data["x"], data["y"], epochs=8, batch_size=32)
tagger.save(MODEL_PATH)  # expect: LOAD003
