"""Facts: what a file does with models and data, extracted by one libcst pass."""
