"""Shekara: the shared information system of border, customs and police services."""

__version__ = "0.1.0"
