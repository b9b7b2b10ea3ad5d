"""Result store (requests, results, deliveries) and API keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

``api_keys`` may exist already: access control created it before the
store had migrations; it is created here only when missing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    if not sa.inspect(op.get_bind()).has_table("api_keys"):
        op.create_table(
            "api_keys",
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("client", sa.String(64), nullable=False),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
            sa.Column("created_at", _TZ, nullable=False),
            sa.Column("created_by", sa.String(64), nullable=False),
            sa.Column("revoked_at", _TZ, nullable=True),
            sa.Column("revoked_by", sa.String(64), nullable=True),
        )
        op.create_index("ix_api_keys_client", "api_keys", ["client"])
    op.create_table(
        "classify_requests",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("client", sa.String(64), nullable=True),
        sa.Column("route", sa.String(64), nullable=False),
        sa.Column("received_at", _TZ, nullable=False),
        sa.Column("n_results", sa.Integer, nullable=False),
        sa.Column("n_resubmitted", sa.Integer, nullable=False),
    )
    op.create_index("ix_classify_requests_client", "classify_requests", ["client"])
    op.create_table(
        "results",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "request_id",
            sa.String(64),
            sa.ForeignKey("classify_requests.request_id"),
            nullable=False,
        ),
        sa.Column("client", sa.String(64), nullable=True),
        sa.Column("accession", sa.String(500), nullable=False),
        sa.Column("values_sha256", sa.String(64), nullable=False),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("array_type", sa.String(16), nullable=True),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("model_run_id", sa.String(64), nullable=True),
        sa.Column("code_version", sa.String(64), nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("top_class", sa.String(64), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("fusion_status", sa.String(32), nullable=False),
        sa.Column("reclassification", sa.String(32), nullable=False),
        sa.Column("out_of_distribution", sa.Boolean, nullable=False),
        sa.Column("needs_attention", sa.Boolean, nullable=False),
        sa.Column("supersedes_id", sa.String(32), sa.ForeignKey("results.id"), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_index("ix_results_request_id", "results", ["request_id"])
    op.create_index("ix_results_accession", "results", ["accession"])
    op.create_index("ix_results_created_at", "results", ["created_at"])
    op.create_index("ix_results_worklist", "results", ["needs_attention", "created_at"])
    op.create_index(
        "uq_results_resubmission",
        "results",
        ["client", "accession", "input_sha256", "model_name", "model_version"],
        unique=True,
        sqlite_where=sa.text("supersedes_id IS NULL"),
        postgresql_where=sa.text("supersedes_id IS NULL"),
    )
    op.create_table(
        "deliveries",
        sa.Column(
            "request_id",
            sa.String(64),
            sa.ForeignKey("classify_requests.request_id"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("result_id", sa.String(32), sa.ForeignKey("results.id"), nullable=False),
        sa.Column("resubmitted", sa.Boolean, nullable=False),
    )
    op.create_index("ix_deliveries_result_id", "deliveries", ["result_id"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("results")
    op.drop_table("classify_requests")
