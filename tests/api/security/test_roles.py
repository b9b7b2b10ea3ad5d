"""Who may do what: the permission table and the client's checks."""

from __future__ import annotations

import pytest

from api.security.roles import ROLE_PERMISSIONS, Client, Permission, Role


def test_the_permission_table_is_the_one_documented():
    assert ROLE_PERMISSIONS[Role.LIS] == {
        Permission.READ_MODEL,
        Permission.CLASSIFY,
        Permission.READ_OWN_RESULTS,
    }
    assert ROLE_PERMISSIONS[Role.REVIEWER] == {
        Permission.READ_MODEL,
        Permission.READ_ALL_RESULTS,
        Permission.VIEW_UI,
        Permission.CORRECT_RESULTS,
    }
    assert ROLE_PERMISSIONS[Role.ADMIN] == {
        Permission.READ_MODEL,
        Permission.RELOAD_MODEL,
        Permission.MANAGE_KEYS,
    }


@pytest.mark.parametrize(
    ("role", "submitter", "allowed"),
    [
        (Role.LIS, "lis-a", True),
        (Role.LIS, "lis-b", False),
        (Role.REVIEWER, "lis-b", True),
        (Role.ADMIN, "lis-a", False),
    ],
)
def test_reading_results_of_a_client(role, submitter, allowed):
    client = Client(id="0123456789ab", name="lis-a", role=role)
    assert client.can_read_result_of(submitter) is allowed


def test_the_unauthenticated_client_may_do_everything():
    client = Client.unauthenticated()
    assert client.role is None and client.id is None
    assert client.permissions == frozenset(Permission)
    assert client.can_read_result_of("anyone")
