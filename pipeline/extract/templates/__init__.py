"""Jinja2 templates of the extract (package data)."""
