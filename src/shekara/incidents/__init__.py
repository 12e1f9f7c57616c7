"""Incidents, who and what was involved, and seizures."""
