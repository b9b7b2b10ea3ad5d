"""Alembic environment of the service's database (results and API keys).

Run programmatically by :func:`api.store.upgrade_database`, which passes an
open connection in ``config.attributes["connection"]``; the command line
(``python -m api.store.migrate``) does the same.
"""

from __future__ import annotations

from alembic import context

from api.security.key_table import SecurityBase
from api.store.tables import StoreBase

target_metadata = [StoreBase.metadata, SecurityBase.metadata]

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through api.store.upgrade_database or 'python -m api.store.migrate', "
        "which pass the connection"
    )
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    # SQLite alters tables by copying them; batch mode does that.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
