"""The ``steadyscale`` command line (the only place that prints)."""
