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
from sqlalchemy.exc import SQLAlchemyError

__all__ = ["DATABASE_ERRORS", "database_error_message", "make_engine"]

#: What opening or using a database from a command line may raise: a bad URL
#: (unknown dialect, unparsable), an unreachable server, a file that cannot be made.
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, OSError)


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


def database_error_message(url: str, exc: Exception) -> str:
    """One line for a command line: which database (password hidden) and why it failed.

    Parameters
    ----------
    url : str
        The database URL as given.
    exc : Exception
        One of :data:`DATABASE_ERRORS`.
    """
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        shown = repr(url) if "@" not in url else "(an unreadable URL)"
    # SQLAlchemy wraps the driver's error and appends a link to its docs.
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"cannot use the database {shown}: {reason[0] if reason else type(exc).__name__}"
