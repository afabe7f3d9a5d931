MODEL_PATH = "models/ner_tagger.h5"
MAX_LEN = 64
N_TAGS = 9
VOCAB = 25000
