"""The stages between the command line and the rules: what one file's extraction yields."""
