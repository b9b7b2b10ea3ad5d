"""The API key store: hashed tokens, revocation, the check cache."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from api.security.key_store import (
    TOKEN_PREFIX,
    ApiKeyStore,
    ClientRoleConflictError,
    UnknownKeyError,
)
from api.security.key_table import ApiKeyRow
from api.security.roles import Role
from api.store.engine import make_engine


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine) -> ApiKeyStore:
    store = ApiKeyStore(engine, cache_seconds=0)
    store.create_schema()
    return store


def test_a_created_key_authenticates_as_its_client(store):
    info, token = store.create("lis-main", "lis")
    assert token.startswith(f"{TOKEN_PREFIX}{info.id}_")
    client = store.authenticate(token)
    assert client is not None
    assert (client.id, client.name, client.role) == (info.id, "lis-main", Role.LIS)
    assert info.active and info.created_by == "cli"


def test_only_the_hash_of_the_token_is_stored(store, engine):
    _, token = store.create("lis-main", Role.LIS)
    with Session(engine) as session:
        row = session.scalars(select(ApiKeyRow)).one()
    secret = token.rsplit("_", 1)[1]
    assert len(row.token_sha256) == 64
    assert all(secret not in str(value) for value in vars(row).values())


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-token",
        f"{TOKEN_PREFIX}0123456789ab_{'A' * 43}",  # well-formed, unknown id
        f"{TOKEN_PREFIX}0123456789ab_short",
    ],
)
def test_unknown_or_malformed_tokens_are_refused(store, token):
    assert store.authenticate(token) is None


def test_a_token_with_a_known_id_but_another_secret_is_refused(store):
    info, token = store.create("lis-main", Role.LIS)
    forged = f"{TOKEN_PREFIX}{info.id}_{'B' * 43}"
    assert forged != token
    assert store.authenticate(forged) is None


def test_revoked_keys_are_refused_and_kept(store):
    info, token = store.create("lis-main", Role.LIS)
    revoked = store.revoke(info.id, revoked_by="admin-1")
    assert not revoked.active and revoked.revoked_by == "admin-1"
    assert store.authenticate(token) is None
    assert [k.id for k in store.list()] == [info.id]
    assert store.list(include_revoked=False) == []
    # Revoking again changes nothing.
    assert store.revoke(info.id).revoked_at == revoked.revoked_at


def test_revoking_an_unknown_key_fails(store):
    with pytest.raises(UnknownKeyError, match="no API key has the id 'nope'"):
        store.revoke("nope")


@pytest.mark.parametrize(
    ("client", "role", "match"),
    [
        ("", "lis", "client name must be"),
        ("patient Jane Doe", "lis", "client name must be"),
        ("x" * 65, "lis", "client name must be"),
        ("lis-main", "superuser", "role must be one of lis, reviewer, admin"),
    ],
)
def test_bad_client_names_and_roles(store, client, role, match):
    with pytest.raises(ValueError, match=match):
        store.create(client, role)


def test_another_process_sees_a_revocation_once_its_cache_expires(engine, store):
    clock = FakeClock()
    replica = ApiKeyStore(engine, cache_seconds=5.0, clock=clock)
    info, token = store.create("lis-main", Role.LIS)
    assert replica.authenticate(token) is not None
    store.revoke(info.id)  # in "another process": the replica's cache still trusts it
    clock.now += 4.0
    assert replica.authenticate(token) is not None
    clock.now += 1.5
    assert replica.authenticate(token) is None


def test_revoking_through_a_store_clears_its_own_cache(engine):
    store = ApiKeyStore(engine, cache_seconds=3600)
    store.create_schema()
    info, token = store.create("lis-main", Role.LIS)
    assert store.authenticate(token) is not None
    store.revoke(info.id)
    assert store.authenticate(token) is None


def test_the_cache_answers_only_what_it_has_checked(engine):
    # authenticated_client answers from cached() on the event loop and sends
    # only a miss to a thread for authenticate().
    clock = FakeClock()
    store = ApiKeyStore(engine, cache_seconds=5.0, clock=clock)
    store.create_schema()
    _, token = store.create("lis-main", Role.LIS)
    assert store.cached("not-a-token") == (True, None)  # malformed: refused without a lookup
    assert store.cached(token) == (False, None)
    client = store.authenticate(token)
    assert client is not None and store.cached(token) == (True, client)
    clock.now += 5.5
    assert store.cached(token) == (False, None)


def test_a_revoked_key_still_holds_its_client_name_to_its_role(store):
    info, _ = store.create("lis-main", Role.LIS)
    store.revoke(info.id)
    # Its results are recorded under the name for good: a reviewer may not take it.
    with pytest.raises(
        ClientRoleConflictError, match="'lis-main' already has keys with the role lis"
    ):
        store.create("lis-main", Role.REVIEWER)
    assert store.create("lis-main", Role.LIS)[0].role == "lis"


def test_two_creators_at_once_cannot_give_a_name_two_roles(empty_engine):
    store = ApiKeyStore(empty_engine, cache_seconds=0)
    store.create_schema()
    _, lis_token = store.create("lis-other", Role.LIS)
    outcome: dict[str, object] = {}

    def create_reviewer_key() -> None:
        try:
            outcome["key"] = store.create("LIS-main", Role.REVIEWER)
        except ClientRoleConflictError as exc:
            outcome["error"] = exc

    # Another creator is midway: it has checked the name and inserted its lis key,
    # and not committed yet.
    with empty_engine.connect() as other:
        transaction = other.begin()
        if empty_engine.dialect.name == "postgresql":
            other.execute(text("LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE"))
        other.execute(
            insert(ApiKeyRow).values(
                id="a" * 12,
                client="lis-main",
                role="lis",
                token_sha256="0" * 64,
                created_at=datetime.now(UTC),
                created_by="other-admin",
            )
        )
        creator = threading.Thread(target=create_reviewer_key)
        creator.start()
        creator.join(0.5)
        assert creator.is_alive()  # it waits for the other creator to finish
        # Meanwhile keys are still checked: authentication only reads.
        assert store.authenticate(lis_token) is not None
        transaction.commit()
    creator.join(10)
    assert not creator.is_alive()
    assert isinstance(outcome.get("error"), ClientRoleConflictError), outcome
    with Session(empty_engine) as session:
        roles = session.scalars(
            select(ApiKeyRow.role).where(func.lower(ApiKeyRow.client) == "lis-main")
        ).all()
    assert roles == ["lis"]  # the refused key was not kept
