"""Exit 0 when the test PostgreSQL answers, 1 when not (2 and a message under CI=true)."""

import os
import sys

import psycopg

url = os.environ.get(
    "SHEKARA_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)
try:
    psycopg.connect(url, connect_timeout=3).close()
except psycopg.OperationalError as e:
    if os.environ.get("CI") == "true":
        sys.stderr.write(f"PostgreSQL is required under CI and does not answer: {e}\n")
        sys.exit(2)
    sys.stderr.write("PostgreSQL does not answer: running the suite on SQLite only\n")
    sys.exit(1)
sys.exit(0)
