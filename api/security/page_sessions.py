"""Sign-in sessions of the review pages: the browser holds a session token, never the API key.

Signing in with an API key starts a session: a random token (256 bits)
goes into the browser's HTTP-only cookie, and only its SHA-256 into the
``page_sessions`` table, with the key that signed in and when the session
ends. A page request with the cookie is made by that key's client, as long
as the session has not ended and the key is not revoked. Signing out
deletes the row: the cookie is worthless from then on, even if it was
copied. A stolen cookie is therefore never a stolen API key: it opens the
pages for at most :data:`SESSION_SECONDS`, and not after sign-out.

Checks are cached in memory for ``cache_seconds``, like the keys' (see
:mod:`api.security.key_store`); ending a session clears it from this
process's cache at once, other processes drop it within that time.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from api.security.check_cache import CheckCache
from api.security.key_table import ApiKeyRow, PageSessionRow
from api.security.roles import Client, Role

__all__ = ["SESSION_COOKIE", "SESSION_SECONDS", "PageSessionStore"]

#: The pages' cookie: a session token (``sms_...``), never an API key.
SESSION_COOKIE = "sarcoma_session"

#: How long a sign-in lasts.
SESSION_SECONDS = 12 * 3600

_PREFIX = "sms_"
_TOKEN_PATTERN = re.compile(rf"^{_PREFIX}[A-Za-z0-9_-]{{43}}$")


class PageSessionStore:
    """The sign-in sessions of one database.

    Parameters
    ----------
    engine : Engine
        The service's database (``DATABASE_URL``), migrated.
    cache_seconds : float, default=5.0
        How long a checked session is trusted without asking the database.
    clock : callable, optional
        Monotonic seconds; replaceable in tests.
    """

    def __init__(
        self,
        engine: Engine,
        cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        # token digest -> client or None
        self._cache: CheckCache[Client | None] = CheckCache(cache_seconds, clock)

    def start(self, client: Client) -> str:
        """Start a session for ``client`` (a holder of an API key); return its token.

        Sessions that have ended are deleted on the way.
        """
        if client.id is None:
            raise ValueError("only a client with an API key can sign in")
        token = f"{_PREFIX}{secrets.token_urlsafe(32)}"
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            session.execute(delete(PageSessionRow).where(PageSessionRow.expires_at < now))
            session.add(
                PageSessionRow(
                    id=_digest(token),
                    key_id=client.id,
                    created_at=now,
                    expires_at=now + timedelta(seconds=SESSION_SECONDS),
                )
            )
        return token

    def client_for(self, token: str) -> Client | None:
        """The client whose session ``token`` is, or ``None`` (unknown, ended, key revoked)."""
        known, client = self.cached(token)
        if known:
            return client
        digest = _digest(token)
        client = self._lookup(digest)
        self._cache.put(digest, client)
        return client

    def cached(self, token: str) -> tuple[bool, Client | None]:
        """Answer from memory when possible (see :meth:`ApiKeyStore.cached`)."""
        if not _TOKEN_PATTERN.match(token):
            return True, None
        return self._cache.get(_digest(token))

    def end(self, token: str) -> None:
        """End the session of ``token`` (sign-out); an unknown token changes nothing."""
        if not _TOKEN_PATTERN.match(token):
            return
        digest = _digest(token)
        with Session(self.engine) as session, session.begin():
            session.execute(delete(PageSessionRow).where(PageSessionRow.id == digest))
        self._cache.forget(lambda kept, _: kept != digest)

    def _lookup(self, digest: str) -> Client | None:
        query = (
            select(ApiKeyRow)
            .join(PageSessionRow, PageSessionRow.key_id == ApiKeyRow.id)
            .where(
                PageSessionRow.id == digest,
                PageSessionRow.expires_at > datetime.now(UTC),
                ApiKeyRow.revoked_at.is_(None),
            )
        )
        with Session(self.engine) as session:
            row = session.scalars(query).first()
            if row is None:
                return None
            return Client(id=row.id, name=row.client, role=Role(row.role))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
