"""Search across every record the caller may see."""
