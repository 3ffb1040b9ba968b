"""The package version, in the bottom layer so any module (the publish audit) can name it."""

__version__ = "0.1.0"
