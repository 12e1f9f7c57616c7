"""Screening across scripts: pure functions for names, documents, vehicles and scores.

Nothing in this package touches a database, the network or global state; every function is a
pure function of its arguments (tables are module constants, caches are ``functools.lru_cache``).

Modules:

- ``translit_tables``: the transliteration tables, one constant per standard.
- ``translit``: transliteration engine, ``variants()`` and the ``skeleton()`` index key.
- ``names``: name parsing (patronymics, surname stems), name frequency, partial dates.
- ``identifiers``: document numbers, vehicle plates, country codes.
- ``mrz``: ICAO Doc 9303 machine readable zones (TD1, TD2, TD3).
- ``scoring``: explainable scores ``(query, candidate, config) -> Score``.

See ``docs/screening.md``.
"""
