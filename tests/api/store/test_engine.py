"""The database engine: SQLite in WAL mode, its directory made."""

from __future__ import annotations

from sqlalchemy import text

from api.store.engine import make_engine


def test_sqlite_runs_in_wal_mode_and_its_directory_is_made(tmp_path):
    path = tmp_path / "deep" / "er" / "service.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()
    assert path.exists()
