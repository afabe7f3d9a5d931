"""preplint: a static linter for machine-learning training and inference scripts."""

__version__ = "0.1.0"
