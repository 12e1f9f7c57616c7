"""Small shared helpers (text normalisation, quantities)."""
