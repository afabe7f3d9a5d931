"""SEED: reproducibility of training runs, splits and kernels."""
