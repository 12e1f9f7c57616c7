"""Reference vocabularies (threat categories, commodities, methods, roles), extendable as data."""
