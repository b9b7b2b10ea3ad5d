"""Sign-in sessions of the review pages.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Until this revision the pages' cookie held the API key itself, for twelve
hours, and signing out only asked the browser to forget it. A session is a
random token whose hash is a row here: signing out deletes the row, and
revoking the key ends its sessions. Earlier cookies (``sarcoma_api_key``)
are no longer read: a browser signed in before the upgrade signs in again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "page_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(32), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("expires_at", _TZ, nullable=False),
    )
    op.create_index("ix_page_sessions_key_id", "page_sessions", ["key_id"])
    op.create_index("ix_page_sessions_expires_at", "page_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_page_sessions_expires_at", table_name="page_sessions")
    op.drop_index("ix_page_sessions_key_id", table_name="page_sessions")
    op.drop_table("page_sessions")
