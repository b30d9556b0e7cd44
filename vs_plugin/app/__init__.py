"""Applications built on the public API: the demo, and later the render pipeline."""
