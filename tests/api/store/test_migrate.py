"""Migrations: the schema they build is the models' schema, and start-up may repeat them."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from api.security.key_table import ApiKeyRow, SecurityBase
from api.store import ResultStore, current_revision, head_revision, migrate, upgrade_database
from api.store.alembic_upgrade import alembic_config
from api.store.engine import make_engine
from api.store.queries import Listing, ResultQuery, select_results
from api.store.tables import StoreBase
from tests.api.postgres import POSTGRES_URL, drop_everything
from tests.api.store.conftest import MODEL

REPO = Path(__file__).resolve().parents[3]


# Alembic cannot compare an expression index (the accession search's, on
# PostgreSQL); checked by test_the_accession_search_index_serves_prefix_queries_on_postgresql.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
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


def test_results_stored_before_revision_0002_are_kept(empty_engine, new_result):
    upgrade_database(empty_engine, "0001")
    _insert_0001_result(empty_engine, "old-1")
    upgrade_database(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    store = ResultStore(empty_engine, code_version="test-2")
    old = store.get("old-1")
    assert old is not None and old.accession == "A-1"
    assert old.model_fingerprint is None and old.manifest_sha256 is None
    # What made it is unknown: the same input gets a new result, once.
    item = new_result("A-1")
    (new,) = store.record(
        request_id="r-new", client="lis-a", route="/v1/classify", model=MODEL, items=[item]
    )
    assert new.id != "old-1" and not new.resubmitted


def test_revision_0002_can_be_undone(empty_engine):
    upgrade_database(empty_engine)
    with empty_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0001")
    assert current_revision(empty_engine) == "0001"
    columns = {c["name"] for c in inspect(empty_engine).get_columns("results")}
    assert "model_fingerprint" not in columns and "corrected_by" not in columns
    upgrade_database(empty_engine)
    assert current_revision(empty_engine) == head_revision()


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs TEST_POSTGRES_URL")
def test_the_accession_search_index_serves_prefix_queries_on_postgresql():
    engine = make_engine(str(POSTGRES_URL))
    try:
        drop_everything(engine)
        upgrade_database(engine)
        with engine.connect() as connection:
            # The statement the worklist's search runs, planned with the index
            # preferred: it must be usable for the pattern as bound.
            connection.execute(text("SET enable_seqscan = off"))
            stmt = select_results(ResultQuery(accession_prefix="Ab_1%"), Listing())
            compiled = stmt.compile(engine)
            explain = connection.exec_driver_sql(f"EXPLAIN {compiled.string}", compiled.params)
            plan = explain.scalars().all()
        assert any("ix_results_accession_lower" in line for line in plan), plan
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0002")
        assert "ix_results_accession_lower" not in {
            i["name"] for i in inspect(engine).get_indexes("results")
        }
        upgrade_database(engine)
    finally:
        drop_everything(engine)
        engine.dispose()


def _insert_0001_result(engine, result_id: str) -> None:
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO classify_requests VALUES (:rid, 'lis-a', '/v1/classify', :now, 1, 0)"
            ),
            {"rid": "r-old", "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO results (id, request_id, client, accession, values_sha256, "
                "input_sha256, array_type, model_name, model_version, model_run_id, "
                "code_version, result, decision, top_class, score, fusion_status, "
                "reclassification, out_of_distribution, needs_attention, supersedes_id, "
                "created_at) VALUES (:id, 'r-old', 'lis-a', 'A-1', :values, :input, '450k', "
                ":name, :version, :run, 'test-1', :result, 'match', 'DSRCT', 0.97, "
                "'confirmed', 'confirmed', false, false, NULL, :now)"
            ),
            {
                "id": result_id,
                "values": "vin-1",
                "input": "in-1".ljust(64, "0"),
                "name": MODEL["name"],
                "version": MODEL["version"],
                "run": MODEL["run_id"],
                "result": '{"sample_id": "A-1"}',
                "now": now,
            },
        )


def test_an_api_keys_table_made_before_the_migrations_is_kept(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    SecurityBase.metadata.create_all(engine, tables=[ApiKeyRow.__table__])
    upgrade_database(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"api_keys", "results", "classify_requests", "deliveries", "page_sessions"} <= tables
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


@pytest.mark.slow
def test_the_command_line_migrates_and_reports_without_warnings(tmp_path):
    # The documented command (docs/api.md), in a fresh interpreter: importing the
    # package must not import the module that -m then runs again (a RuntimeWarning).
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    command_line = [sys.executable, "-W", "default", "-m", "api.store.migrate"]
    outputs = []
    for action in ("current", "upgrade", "current"):
        done = subprocess.run(
            [*command_line, action, "--database-url", url],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        assert "Warning" not in done.stderr, done.stderr
        outputs.append(done.stdout.strip())
    head = head_revision()
    assert outputs == [
        f"database at revision None (newest {head})",
        f"database at revision {head} (newest {head})",
        f"database at revision {head} (newest {head})",
    ]


@pytest.mark.parametrize(
    "url", ["nonsense://x", "postgresql+psycopg://store:s3cret@127.0.0.1:1/db"]
)
def test_the_command_line_names_a_database_it_cannot_use(url, capsys):
    assert migrate.main(["current", "--database-url", url]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: cannot use the database ")
    assert "s3cret" not in captured.err and "Traceback" not in captured.err


def test_revision_0004_adds_the_page_sessions_and_can_be_undone(empty_engine):
    upgrade_database(empty_engine, "0003")
    assert "page_sessions" not in inspect(empty_engine).get_table_names()
    upgrade_database(empty_engine)
    columns = {c["name"] for c in inspect(empty_engine).get_columns("page_sessions")}
    assert columns == {"id", "key_id", "created_at", "expires_at"}
    with empty_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0003")
    assert "page_sessions" not in inspect(empty_engine).get_table_names()
    upgrade_database(empty_engine)
    assert current_revision(empty_engine) == head_revision() == "0004"
