"""Models: the manifest of built-in weights, the registry that verifies them, SR backends."""
