"""Statistics over the records the caller may see (never hit-only ones)."""
