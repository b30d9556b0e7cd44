"""Training-data pipelines for the project's own models (used by ``scripts/train_*.py``)."""
