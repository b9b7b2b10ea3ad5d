"""An index for the worklist's sample-id search on PostgreSQL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

The worklist finds accessions by the start of their id, in any case:
``lower(accession) LIKE 'abc%'``. The index on ``accession`` cannot serve
that; ``lower(accession) text_pattern_ops`` can, whatever the database's
collation. SQLite gets nothing: its LIKE cannot use an expression index, and
a single-machine store is small enough to scan.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_NAME = "ix_results_accession_lower"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(_NAME, "results", [sa.text("lower(accession) text_pattern_ops")])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(_NAME, table_name="results")
