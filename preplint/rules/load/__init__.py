"""LOAD: saving and loading models so that what is loaded is what was trained."""
