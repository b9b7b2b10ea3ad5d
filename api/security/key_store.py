"""Creating, listing, revoking and checking API keys.

A token is ``smc_<key id>_<secret>``: the key id (12 hex digits, public,
shown by ``list``) finds the row, and the SHA-256 of the whole token is
compared with the stored hash in constant time. The secret has 256 bits of
entropy, so a fast hash is enough (as for any random bearer token); the
token is shown once, at creation, and never stored or logged.

Checks are cached in memory for ``cache_seconds`` so that a busy client
costs no database query per request; a revoked key is refused by every
process within that time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from api.security.check_cache import CheckCache
from api.security.key_table import ApiKeyRow, SecurityBase
from api.security.roles import Client, Role

__all__ = [
    "CLIENT_NAME_PATTERN",
    "TOKEN_PREFIX",
    "ApiKeyInfo",
    "ApiKeyStore",
    "ClientRoleConflictError",
    "UnknownKeyError",
]

TOKEN_PREFIX = "smc_"
#: Client names are identifiers chosen by the lab (``lis-main``), never patient data.
CLIENT_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_TOKEN_PATTERN = re.compile(rf"^{TOKEN_PREFIX}(?P<key_id>[0-9a-f]{{12}})_[A-Za-z0-9_-]{{43}}$")


class UnknownKeyError(LookupError):
    """No key has the given id."""


class ClientRoleConflictError(ValueError):
    """The client name already belongs to keys of another role.

    Results and corrections record the client's name, not the key: one name
    for two roles would make a LIS submission and a reviewer's correction
    indistinguishable in the audit trail. Several keys of one role share a
    name on purpose (a key is rotated by creating the next, then revoking).
    """


@dataclass(frozen=True)
class ApiKeyInfo:
    """What may be shown about a key (never its token or hash).

    Attributes
    ----------
    id, client : str
    role : Role
    created_at : datetime
    created_by : str
    revoked_at : datetime or None
    revoked_by : str or None
    """

    id: str
    client: str
    role: Role
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None

    @property
    def active(self) -> bool:
        """Whether the key is still valid."""
        return self.revoked_at is None

    @classmethod
    def from_row(cls, row: ApiKeyRow) -> ApiKeyInfo:
        """Read a table row."""
        return cls(
            id=row.id,
            client=row.client,
            role=Role(row.role),
            created_at=_utc(row.created_at),
            created_by=row.created_by,
            revoked_at=_utc(row.revoked_at) if row.revoked_at is not None else None,
            revoked_by=row.revoked_by,
        )


class ApiKeyStore:
    """The API keys of one database.

    Parameters
    ----------
    engine : Engine
        The service's database (``DATABASE_URL``).
    cache_seconds : float, default=5.0
        How long a checked token is trusted without asking the database
        again (0 asks every time); also the longest a revoked key keeps
        working in another process.
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
        # token digest -> (key id, client or None)
        self._cache: CheckCache[tuple[str, Client | None]] = CheckCache(cache_seconds, clock)

    def create_schema(self) -> None:
        """Create the ``api_keys`` table if it does not exist."""
        # Only this table: the others (page sessions) come with the migrations.
        SecurityBase.metadata.create_all(
            self.engine, tables=[SecurityBase.metadata.tables[ApiKeyRow.__tablename__]]
        )

    def create(
        self, client: str, role: Role | str, created_by: str = "cli"
    ) -> tuple[ApiKeyInfo, str]:
        """Create a key for ``client`` with ``role``.

        Returns
        -------
        info : ApiKeyInfo
        token : str
            The token: shown to the caller once, stored nowhere.

        Raises
        ------
        ValueError
            If the client name or the role is not valid.
        ClientRoleConflictError
            If the client name already has keys of another role.
        """
        if not CLIENT_NAME_PATTERN.match(client):
            raise ValueError(
                "client name must be 1-64 letters, digits, '.', '_' or '-', starting with a "
                f"letter or digit; got {client!r}"
            )
        try:
            role = Role(role)
        except ValueError:
            raise ValueError(
                f"role must be one of {', '.join(r.value for r in Role)}; got {role!r}"
            ) from None
        key_id = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        row = ApiKeyRow(
            id=key_id,
            client=client,
            role=role.value,
            token_sha256=_digest(token),
            created_at=datetime.now(UTC),
            created_by=created_by,
        )
        # Checked and inserted in one transaction that creators take in turns,
        # so two admins creating keys for one name at once cannot give it two
        # roles: PostgreSQL locks out other writers of the table (readers, such
        # as authentication, go on); on SQLite the insert takes the database's
        # write lock, and the check after it sees every earlier creator's key.
        # On SQLite the insert must be the transaction's first statement: a
        # read before it would pin an older snapshot, and the insert would then
        # fail at once (SQLITE_BUSY_SNAPSHOT) instead of waiting its turn.
        with Session(self.engine) as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                table = ApiKeyRow.__tablename__
                session.execute(text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
            session.add(row)
            session.flush()
            # Revoked keys count: what they did is recorded under the name for good.
            # Names are ASCII (CLIENT_NAME_PATTERN): "LIS-main" would read as "lis-main".
            same_name = func.lower(ApiKeyRow.client) == client.lower()
            held = session.execute(
                select(ApiKeyRow.client, ApiKeyRow.role).where(
                    same_name, ApiKeyRow.role != role.value
                )
            )
            others = sorted({(name, r) for name, r in held})
            if others:
                spelt = sorted({name for name, _ in others})
                # Raised inside the transaction: the new key is rolled back.
                raise ClientRoleConflictError(
                    f"client {client!r} already has keys with the role "
                    f"{', '.join(sorted({r for _, r in others}))} "
                    f"(as {', '.join(map(repr, spelt))}); results and corrections record "
                    "only the client name, so a name belongs to one role: choose another name"
                )
            info = ApiKeyInfo.from_row(row)
        return info, token

    def list(self, include_revoked: bool = True) -> list[ApiKeyInfo]:
        """Every key, oldest first."""
        query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)
        if not include_revoked:
            query = query.where(ApiKeyRow.revoked_at.is_(None))
        with Session(self.engine) as session:
            return [ApiKeyInfo.from_row(row) for row in session.scalars(query)]

    def revoke(self, key_id: str, revoked_by: str = "cli") -> ApiKeyInfo:
        """Revoke a key (revoking a revoked key changes nothing).

        Raises
        ------
        UnknownKeyError
            If no key has this id.
        """
        with Session(self.engine) as session, session.begin():
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise UnknownKeyError(f"no API key has the id {key_id!r}")
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
                row.revoked_by = revoked_by
            info = ApiKeyInfo.from_row(row)
        self._cache.forget(lambda _, answer: answer[0] != key_id)
        return info

    def authenticate(self, token: str) -> Client | None:
        """The client holding ``token``, or ``None`` for an unknown, malformed or revoked one."""
        key_id = _key_id(token)
        if key_id is None:
            return None
        known, client = self.cached(token)
        if known:
            return client
        digest = _digest(token)
        client = self._lookup(key_id, digest)
        self._cache.put(digest, (key_id, client))
        return client

    def cached(self, token: str) -> tuple[bool, Client | None]:
        """Answer from memory when possible, without touching the database.

        Returns
        -------
        known : bool
            True when the answer below is final: the token is malformed, or
            was checked less than ``cache_seconds`` ago.
        client : Client or None
            The client holding ``token`` (``None`` for a refused token).
        """
        if _key_id(token) is None:
            return True, None
        known, answer = self._cache.get(_digest(token))
        return (True, answer[1]) if known and answer is not None else (False, None)

    def _lookup(self, key_id: str, digest: str) -> Client | None:
        with Session(self.engine) as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.token_sha256, digest):
                return None
            return Client(id=row.id, name=row.client, role=Role(row.role))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key_id(token: str) -> str | None:
    match = _TOKEN_PATTERN.match(token)
    return match["key_id"] if match else None


def _utc(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
