"""MODE: models run in the wrong mode (training versus inference)."""
