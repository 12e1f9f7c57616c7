"""Cases with their status history and hand-overs between agencies."""
