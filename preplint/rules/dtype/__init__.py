"""DTYPE: the dtype and shape a model is given at inference versus what it was trained on."""
