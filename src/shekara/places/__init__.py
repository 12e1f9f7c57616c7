"""Places: checkpoints, border sections, regions and cities (reference data)."""
