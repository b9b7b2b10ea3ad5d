"""``python -m api.keys``: create, list, revoke, ensure-local."""

from __future__ import annotations

import io
import stat
import subprocess
import sys

import pytest

from api.keys import KeysCommand, parse_args, run
from api.security import ApiKeyStore, Role
from api.store.engine import make_engine


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'keys.db'}"


def _run(command: KeysCommand) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(command, out, err)
    return code, out.getvalue(), err.getvalue()


def _store(url: str) -> ApiKeyStore:
    return ApiKeyStore(make_engine(url), cache_seconds=0)


def test_parse_args():
    command = parse_args(
        ["--database-url", "sqlite://", "create", "--client", "a", "--role", "lis"]
    )
    assert command == KeysCommand(
        action="create", database_url="sqlite://", client="a", role=Role.LIS
    )
    assert parse_args(["revoke", "abc"]).key_id == "abc"
    with pytest.raises(SystemExit):
        parse_args(["create", "--client", "a", "--role", "root"])


def test_create_prints_the_token_alone_on_stdout(url):
    code, out, err = _run(KeysCommand("create", url, client="lis-main", role=Role.LIS))
    assert code == 0
    token = out.strip()
    assert "\n" not in token and token.startswith("smc_")
    assert "shown once" in err and token not in err
    client = _store(url).authenticate(token)
    assert client is not None and client.name == "lis-main"


def test_list_shows_keys_but_no_token(url):
    _, out, _ = _run(KeysCommand("create", url, client="lis-main", role=Role.LIS))
    token = out.strip()
    code, listing, _ = _run(KeysCommand("list", url))
    assert code == 0
    assert "lis-main" in listing and "active" in listing
    assert token not in listing and token.rsplit("_", 1)[1] not in listing


def test_revoke_then_list_active(url):
    _, out, _ = _run(KeysCommand("create", url, client="lis-main", role=Role.LIS))
    key_id = out.strip().split("_")[1]
    code, message, _ = _run(KeysCommand("revoke", url, key_id=key_id))
    assert code == 0 and f"revoked key {key_id}" in message
    assert _store(url).authenticate(out.strip()) is None
    _, active, _ = _run(KeysCommand("list", url, active_only=True))
    assert "lis-main" not in active


def test_errors_have_exit_codes(url):
    code, _, err = _run(KeysCommand("revoke", url, key_id="0123456789ab"))
    assert code == 1 and "no API key has the id" in err
    code, out, err = _run(KeysCommand("create", url, client="Jane Doe", role=Role.LIS))
    assert code == 2 and out == "" and "client name must be" in err


def test_ensure_local_creates_once_and_replaces_revoked_keys(url, tmp_path):
    keys = tmp_path / "keys"
    _, first, _ = _run(KeysCommand("ensure-local", url, directory=keys))
    assert first.count("created") == 3
    tokens = {role: (keys / f"{role.value}.token").read_text().strip() for role in Role}
    for role, token in tokens.items():
        client = _store(url).authenticate(token)
        assert client is not None and client.role is role and client.name == f"local-{role}"
        assert stat.S_IMODE((keys / f"{role.value}.token").stat().st_mode) == 0o600
    _, second, _ = _run(KeysCommand("ensure-local", url, directory=keys))
    assert second == ""
    _store(url).revoke(tokens[Role.ADMIN].split("_")[1])
    _, third, _ = _run(KeysCommand("ensure-local", url, directory=keys))
    assert third.count("created") == 1 and "admin" in third
    assert (keys / "lis.token").read_text().strip() == tokens[Role.LIS]


@pytest.mark.slow
def test_the_module_runs(url):
    done = subprocess.run(
        [sys.executable, "-m", "api.keys", "--database-url", url, "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith("id ")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("nonsense://x", "Can't load plugin"),
        ("not a url", "Could not parse"),
        ("postgresql+psycopg://lis:s3cret@127.0.0.1:1/db", "127.0.0.1"),
    ],
)
def test_a_database_that_cannot_be_used_is_a_message_not_a_traceback(url, says):
    out, err = io.StringIO(), io.StringIO()
    assert run(KeysCommand(action="list", database_url=url), out=out, err=err) == 2
    message = err.getvalue()
    assert message.startswith("error: cannot use the database ") and says in message
    assert "s3cret" not in message and "Traceback" not in message
    assert out.getvalue() == ""
