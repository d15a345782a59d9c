"""govhall: an open platform for running government services."""

__version__ = "0.1.0"
