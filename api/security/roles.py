"""Roles, what each may do, and the authenticated client of a request.

Three roles, one per kind of user:

* ``lis``: a laboratory information system submits profiles and reads the
  results it submitted;
* ``reviewer``: a diagnostician reads every result, its reports and the
  review pages, and corrects a result's interpretation, but submits nothing;
* ``admin``: an operator reloads the model and manages keys, but reads no
  results.

Every key reads the model card (``GET /v1/model``). The table of
permissions is :data:`ROLE_PERMISSIONS`: the one place to read or change who
may do what.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ROLE_PERMISSIONS", "Client", "Permission", "Role"]


class Role(StrEnum):
    """What a key is for."""

    LIS = "lis"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Permission(StrEnum):
    """One thing a request may do."""

    READ_MODEL = "read_model"
    CLASSIFY = "classify"
    READ_OWN_RESULTS = "read_own_results"
    READ_ALL_RESULTS = "read_all_results"
    CORRECT_RESULTS = "correct_results"
    VIEW_UI = "view_ui"
    RELOAD_MODEL = "reload_model"
    MANAGE_KEYS = "manage_keys"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.LIS: frozenset({Permission.READ_MODEL, Permission.CLASSIFY, Permission.READ_OWN_RESULTS}),
    Role.REVIEWER: frozenset(
        {
            Permission.READ_MODEL,
            Permission.READ_ALL_RESULTS,
            Permission.CORRECT_RESULTS,
            Permission.VIEW_UI,
        }
    ),
    Role.ADMIN: frozenset({Permission.READ_MODEL, Permission.RELOAD_MODEL, Permission.MANAGE_KEYS}),
}


@dataclass(frozen=True)
class Client:
    """Who sent a request: the holder of an API key.

    Attributes
    ----------
    id : str or None
        Public id of the key (``KEY_ID`` of ``python -m api.keys revoke``);
        ``None`` when authentication is disabled.
    name : str
        The client's name, recorded with every result it submits.
    role : Role or None
        ``None`` only when authentication is disabled (``AUTH_REQUIRED=false``):
        such a client may do everything.
    """

    id: str | None
    name: str
    role: Role | None

    @classmethod
    def unauthenticated(cls, name: str = "anonymous") -> Client:
        """The client of every request while authentication is disabled."""
        return cls(id=None, name=name, role=None)

    @property
    def permissions(self) -> frozenset[Permission]:
        """What this client may do."""
        if self.role is None:
            return frozenset(Permission)
        return ROLE_PERMISSIONS[self.role]

    def can(self, permission: Permission) -> bool:
        """Whether this client holds ``permission``."""
        return permission in self.permissions

    def can_read_result_of(self, submitter: str) -> bool:
        """Whether this client may read a result submitted by the client named ``submitter``."""
        if self.can(Permission.READ_ALL_RESULTS):
            return True
        return self.can(Permission.READ_OWN_RESULTS) and submitter == self.name
