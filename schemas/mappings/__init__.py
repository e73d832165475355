"""Bundled column mappings from source exports onto the feedback-item contract."""
