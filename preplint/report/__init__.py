"""Renderers: each turns a Report into the text of one output format (text, json, sarif, github)."""
