"""Start-up of access control: the key store, the rate limiter, the warning when disabled."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from api.security.key_store import ApiKeyStore
from api.security.page_sessions import PageSessionStore
from api.security.rate_limit import TokenBucketLimiter
from api.settings import Settings

__all__ = ["install_access_control"]

log = logging.getLogger(__name__)


def install_access_control(state: object, settings: Settings, engine: Engine) -> None:
    """Put the key store, the page sessions and the rate limiter on the app's state.

    The database must be migrated already (:func:`api.store.upgrade_database`
    creates ``api_keys``). Called from the lifespan, in a worker thread (it
    queries the database).
    """
    store = ApiKeyStore(engine, cache_seconds=settings.auth_cache_seconds)
    state.api_keys = store  # type: ignore[attr-defined]
    sessions = PageSessionStore(engine, cache_seconds=settings.auth_cache_seconds)
    state.page_sessions = sessions  # type: ignore[attr-defined]
    limiter = None
    if settings.rate_limit_per_second > 0:
        limiter = TokenBucketLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    state.rate_limiter = limiter  # type: ignore[attr-defined]
    if not settings.auth_required:
        log.warning(
            "AUTH_REQUIRED=false: every request may submit, read every result and reload "
            "the model WITHOUT an API key. Use this only on a machine nobody else can reach."
        )
    elif not store.list(include_revoked=False):
        log.warning(
            "no active API key: every data request will get 401. Create one with "
            "'python -m api.keys create --client NAME --role lis|reviewer|admin'"
        )
