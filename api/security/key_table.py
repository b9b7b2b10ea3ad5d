"""The access-control tables: API keys, and the review pages' sign-in sessions.

``api_keys`` has one row per key, its token stored only as a SHA-256 hash.
A key is never deleted: revoking sets ``revoked_at`` (and who did it), so
that the audit trail can always say which client a past request came from.
``page_sessions`` has one row per signed-in browser, again keyed by the
hash of its cookie's token; signing out deletes the row.
The tables have a metadata of their own (:data:`SecurityBase`); they live in
the same database as the results (``DATABASE_URL``), and migrations include
``SecurityBase.metadata`` beside the result store's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["ApiKeyRow", "PageSessionRow", "SecurityBase"]


class SecurityBase(DeclarativeBase):
    """Declarative base of the access-control tables."""


class ApiKeyRow(SecurityBase):
    """One API key.

    Attributes
    ----------
    id : str
        Public key id (also the second part of the token), e.g. ``3f9a0c1b2d4e``.
    client : str
        Name of the client holding the key, recorded with each of its results.
    role : str
        ``lis``, ``reviewer`` or ``admin``.
    token_sha256 : str
        Hex SHA-256 of the whole token; the token itself is never stored.
    created_at, revoked_at : datetime
        UTC; ``revoked_at`` is null while the key is valid.
    created_by, revoked_by : str
        Who created or revoked it (``cli`` or an admin client's name).
    """

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(64), default=None)


class PageSessionRow(SecurityBase):
    """One signed-in browser of the review pages.

    Attributes
    ----------
    id : str
        Hex SHA-256 of the session token the browser's cookie holds; the
        token itself is never stored.
    key_id : str
        The API key that signed in (the session ends when the key is revoked).
    created_at, expires_at : datetime
        UTC.
    """

    __tablename__ = "page_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
