"""steadyscale."""
