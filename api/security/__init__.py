"""Access control: API keys with roles, hashed in the database, page sessions, a rate limit."""

from api.security.auth import (
    API_KEY_HEADER,
    AUTH_RESPONSES,
    authenticated_client,
    client_for_session,
    client_for_token,
    require,
)
from api.security.key_store import ApiKeyInfo, ApiKeyStore, UnknownKeyError
from api.security.page_sessions import SESSION_COOKIE, SESSION_SECONDS, PageSessionStore
from api.security.rate_limit import TokenBucketLimiter
from api.security.roles import ROLE_PERMISSIONS, Client, Permission, Role

__all__ = [
    "API_KEY_HEADER",
    "AUTH_RESPONSES",
    "ROLE_PERMISSIONS",
    "SESSION_COOKIE",
    "SESSION_SECONDS",
    "ApiKeyInfo",
    "ApiKeyStore",
    "Client",
    "PageSessionStore",
    "Permission",
    "Role",
    "TokenBucketLimiter",
    "UnknownKeyError",
    "authenticated_client",
    "client_for_session",
    "client_for_token",
    "require",
]
