"""The service's database engine: SQLite by default, PostgreSQL by URL.

One engine per process, made in the app's lifespan from ``DATABASE_URL``
and kept in ``app.state.db_engine``; every table of the service (API keys,
results) lives in that one database. SQLite runs in WAL mode with a busy
timeout so that readers never block the writer and several processes can
share a file; PostgreSQL is the database of a deployment with several
replicas.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["make_engine"]


def make_engine(url: str) -> Engine:
    """Create the engine for ``url``; an SQLite file's directory is created if missing.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:///work/service.db`` or
        ``postgresql+psycopg://user:password@host/db``.
    """
    parsed = make_url(url)
    json = {"json_serializer": _json_text, "json_deserializer": orjson.loads}
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **json)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **json)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _json_text(value: object) -> str:
    # orjson for the JSON columns (a stored result): ~10x the standard
    # library's speed, on the path of every answer. NaN cannot occur: results
    # are made plain JSON (NaN as null) before they are stored.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
