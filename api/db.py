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
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
