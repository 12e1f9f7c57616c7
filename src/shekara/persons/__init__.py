"""Persons with names in several scripts, documents and phones."""
