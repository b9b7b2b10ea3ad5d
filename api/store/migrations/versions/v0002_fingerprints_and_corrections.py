"""Model fingerprint and probe manifest per result; corrections.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

* ``results.model_fingerprint`` and ``results.manifest_sha256``: which
  trained bundle and which probe manifest made a result. Rows stored
  before this revision keep ``NULL``: what made them is not known, so a
  resubmission of one of them gets a new result once.
* The resubmission index includes the fingerprint: a retrained bundle with
  the same name and version (e.g. ``unregistered``) makes new results.
* ``results.corrected_by`` and ``results.correction_reason``, and a unique
  index on ``supersedes_id``: a result is corrected at most once (the
  newest version is the one to correct).

Downgrading fails if the resubmission index of revision 0001 no longer
holds (one input stored for two bundles of the same name and version).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_KEY_0001 = ["client", "accession", "input_sha256", "model_name", "model_version"]


def upgrade() -> None:
    op.add_column("results", sa.Column("model_fingerprint", sa.String(64), nullable=True))
    op.add_column("results", sa.Column("manifest_sha256", sa.String(64), nullable=True))
    op.add_column("results", sa.Column("corrected_by", sa.String(64), nullable=True))
    op.add_column("results", sa.Column("correction_reason", sa.Text, nullable=True))
    op.drop_index("uq_results_resubmission", table_name="results")
    _resubmission_index([*_KEY_0001, "model_fingerprint"])
    op.create_index("uq_results_supersedes_id", "results", ["supersedes_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_results_supersedes_id", table_name="results")
    op.drop_index("uq_results_resubmission", table_name="results")
    _resubmission_index(_KEY_0001)
    # Plain ALTER TABLE ... DROP COLUMN (SQLite has it since 3.35): the table
    # and its other indexes stay in place, no copy of the table is made.
    for column in ("correction_reason", "corrected_by", "manifest_sha256", "model_fingerprint"):
        op.drop_column("results", column)


def _resubmission_index(columns: list[str]) -> None:
    # Corrections (supersedes_id set) repeat their original's key: exempt.
    op.create_index(
        "uq_results_resubmission",
        "results",
        columns,
        unique=True,
        sqlite_where=sa.text("supersedes_id IS NULL"),
        postgresql_where=sa.text("supersedes_id IS NULL"),
    )
