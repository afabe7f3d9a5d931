"""PRE: preprocessing parity between training and inference."""
