"""The ``shekara`` command line (Typer + Rich)."""
