"""Storage: SQLAlchemy 2 on a SQLite file (default) or PostgreSQL."""
