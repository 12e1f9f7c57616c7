"""The append-only, hash-chained audit log of every read, search, export and change."""
