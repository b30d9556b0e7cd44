"""Faces as their own layer: detection, tracking, alignment, compositing (pure arrays)."""
