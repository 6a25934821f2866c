"""Provisioning pipeline: the command line, settings and shared runtime."""

__version__ = "0.1.0"
