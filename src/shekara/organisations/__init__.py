"""Organisations and criminal groups with their members."""
