"""The PostgreSQL server of the tests, when there is one.

CI starts a throwaway server (``scripts/test_postgres.sh``) and names it in
``TEST_POSTGRES_URL``, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/store_test``;
the tests may empty that database. Unset: the tests run on SQLite only, and
with ``REQUIRE_POSTGRES=1`` (as in CI) its absence is an error, not a skip.
"""

from __future__ import annotations

import os

from sqlalchemy import Engine, text

__all__ = ["BACKENDS", "POSTGRES_URL", "drop_everything"]

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL") or None

if POSTGRES_URL is None and os.environ.get("REQUIRE_POSTGRES") == "1":
    raise RuntimeError("REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")

#: The database backends a store test runs on.
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


def drop_everything(engine: Engine) -> None:
    """Empty the test PostgreSQL database: the service's tables and its migration record."""
    with engine.begin() as connection:
        for table in (
            "deliveries",
            "results",
            "classify_requests",
            "page_sessions",
            "api_keys",
            "alembic_version",
        ):
            connection.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
