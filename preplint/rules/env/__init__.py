"""ENV: the environment that wrote an artifact must be the one that reads it."""
