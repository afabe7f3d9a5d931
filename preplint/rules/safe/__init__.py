"""SAFE: loading artifacts that can run code."""
