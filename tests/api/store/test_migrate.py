"""Migrations: the schema they build is the models' schema, and start-up may repeat them."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from api.db import make_engine
from api.security.models import SecurityBase
from api.store import current_revision, head_revision, upgrade_database
from api.store.tables import StoreBase
from tests.api.postgres import POSTGRES_URL, drop_everything


def test_migrations_build_exactly_the_models(engine):
    # If this fails, a table model changed without a migration: add one under
    # api/store/migrations/versions.
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, [StoreBase.metadata, SecurityBase.metadata]) == []
    assert current_revision(engine) == head_revision()


def test_upgrading_twice_changes_nothing(engine):
    upgrade_database(engine)
    assert current_revision(engine) == head_revision()


def test_an_api_keys_table_made_before_the_migrations_is_kept(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    SecurityBase.metadata.create_all(engine)
    upgrade_database(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"api_keys", "results", "classify_requests", "deliveries"} <= tables
    engine.dispose()


def test_processes_starting_together_migrate_once(tmp_path):
    _migrate_together(f"sqlite:///{tmp_path / 'shared.db'}")


@pytest.mark.skipif(POSTGRES_URL is None, reason="TEST_POSTGRES_URL is not set")
def test_replicas_starting_together_migrate_once_on_postgresql():
    engine = make_engine(str(POSTGRES_URL))
    drop_everything(engine)
    engine.dispose()
    _migrate_together(str(POSTGRES_URL))


def _migrate_together(url: str, n: int = 3) -> None:
    engines = [make_engine(url) for _ in range(n)]
    errors: list[BaseException] = []

    def start(engine):
        try:
            upgrade_database(engine)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert current_revision(engines[0]) == head_revision()
    for e in engines:
        e.dispose()
