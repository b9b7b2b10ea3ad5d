"""Page sessions: a random token in the cookie, its hash in the database, ended at sign-out."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.security import ApiKeyStore, PageSessionStore, Role
from api.security.key_table import PageSessionRow
from api.store import upgrade_database


@pytest.fixture
def stores(empty_engine):
    """The key store and the session store of a migrated database (SQLite, PostgreSQL)."""
    upgrade_database(empty_engine)
    return ApiKeyStore(empty_engine, cache_seconds=0), PageSessionStore(empty_engine, 0)


def _signed_in(stores, name="dr-s"):
    keys, sessions = stores
    info, token = keys.create(name, Role.REVIEWER)
    return info, token, sessions.start(keys.authenticate(token))


def test_a_session_is_its_key_s_client_and_only_its_hash_is_stored(stores, empty_engine):
    info, key, session = _signed_in(stores)
    client = stores[1].client_for(session)
    assert (client.id, client.name, client.role) == (info.id, "dr-s", Role.REVIEWER)
    assert session.startswith("sms_") and key not in session
    with Session(empty_engine) as db:
        (row,) = db.scalars(select(PageSessionRow)).all()
    assert row.id == hashlib.sha256(session.encode()).hexdigest() and row.key_id == info.id
    assert (row.expires_at.replace(tzinfo=UTC) - row.created_at.replace(tzinfo=UTC)) == timedelta(
        hours=12
    )


def test_signing_out_ends_the_session(stores):
    _, _, session = _signed_in(stores)
    stores[1].end(session)
    assert stores[1].client_for(session) is None
    stores[1].end(session)  # twice changes nothing


def test_a_revoked_key_ends_its_sessions(stores):
    info, _, session = _signed_in(stores)
    stores[0].revoke(info.id)
    assert stores[1].client_for(session) is None


def test_an_expired_session_opens_nothing_and_is_deleted_at_the_next_sign_in(stores, empty_engine):
    _, _, old = _signed_in(stores)
    with Session(empty_engine) as db, db.begin():
        db.execute(update(PageSessionRow).values(expires_at=datetime.now(UTC) - timedelta(1)))
    assert stores[1].client_for(old) is None
    _signed_in(stores, "dr-t")
    with Session(empty_engine) as db:
        assert len(db.scalars(select(PageSessionRow)).all()) == 1


@pytest.mark.parametrize("token", ["", "sms_short", "smc_0123456789ab_" + "a" * 43, "x" * 5000])
def test_anything_else_is_no_session(stores, token):
    _signed_in(stores)
    assert stores[1].cached(token) == (True, None)
    assert stores[1].client_for(token) is None
