"""Manage API keys from the command line: ``python -m api.keys``.

::

    python -m api.keys create --client lis-main --role lis    # prints the token once
    python -m api.keys list [--active]
    python -m api.keys revoke KEY_ID
    python -m api.keys ensure-local --dir work/keys           # what `make run` does

The database is ``DATABASE_URL`` (as for the service) unless
``--database-url`` says otherwise. ``create`` writes the token alone to
standard output (so ``TOKEN=$(python -m api.keys create ...)`` works) and the
rest to standard error. ``ensure-local`` gives a single-machine installation
one key per role, kept in ``DIR/<role>.token`` (readable by the owner only),
and creates only those that are missing or no longer valid.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine

from api.security.key_store import ApiKeyInfo, ApiKeyStore, UnknownKeyError
from api.security.roles import Role
from api.store import upgrade_database
from api.store.engine import DATABASE_ERRORS, database_error_message, make_engine

__all__ = ["KeysCommand", "ensure_local_keys", "main", "parse_args", "run"]


@dataclass(frozen=True)
class KeysCommand:
    """One invocation of the CLI.

    Attributes
    ----------
    action : {"create", "list", "revoke", "ensure-local"}
    database_url : str or None
        ``None``: the service's ``DATABASE_URL``.
    client : str or None
    role : Role or None
    key_id : str or None
    active_only : bool
    directory : Path or None
    """

    action: str
    database_url: str | None = None
    client: str | None = None
    role: Role | None = None
    key_id: str | None = None
    active_only: bool = False
    directory: Path | None = None


def parse_args(argv: Sequence[str] | None = None) -> KeysCommand:
    """Read the command line into a :class:`KeysCommand`."""
    parser = argparse.ArgumentParser(prog="python -m api.keys", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: DATABASE_URL, as the service reads it")
    sub = parser.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="create a key and print its token once")
    create.add_argument("--client", required=True, help="client name, e.g. lis-main")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    listing = sub.add_parser("list", help="list keys (never tokens)")
    listing.add_argument("--active", action="store_true", help="only keys not revoked")
    revoke = sub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    local = sub.add_parser("ensure-local", help="one key per role for a local installation")
    local.add_argument("--dir", required=True, type=Path, help="where the token files go")
    args = parser.parse_args(argv)
    return KeysCommand(
        action=args.action,
        database_url=args.database_url,
        client=getattr(args, "client", None),
        role=Role(args.role) if getattr(args, "role", None) else None,
        key_id=getattr(args, "key_id", None),
        active_only=getattr(args, "active", False),
        directory=getattr(args, "dir", None),
    )


def run(command: KeysCommand, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Carry out ``command``; return the process exit code."""
    url = command.database_url
    if url is None:
        from api.settings import Settings

        url = Settings().database_url
    try:
        return _run_on(make_engine(url), command, out, err)
    except DATABASE_ERRORS as exc:
        print(f"error: {database_error_message(url, exc)}", file=err)
        return 2


def _run_on(engine: Engine, command: KeysCommand, out: TextIO, err: TextIO) -> int:
    try:
        upgrade_database(engine)  # a fresh database gets the service's whole schema
        store = ApiKeyStore(engine, cache_seconds=0)
        if command.action == "create":
            assert command.client is not None and command.role is not None
            try:
                info, token = store.create(command.client, command.role, created_by="cli")
            except ValueError as exc:
                print(f"error: {exc}", file=err)
                return 2
            print(
                f"created key {info.id} for client {info.client!r} with role {info.role}; "
                "the token below is shown once: store it now",
                file=err,
            )
            print(token, file=out)
        elif command.action == "list":
            _print_table(store.list(include_revoked=not command.active_only), out)
        elif command.action == "revoke":
            assert command.key_id is not None
            try:
                info = store.revoke(command.key_id, revoked_by="cli")
            except UnknownKeyError as exc:
                print(f"error: {exc.args[0]}", file=err)
                return 1
            print(f"revoked key {info.id} of client {info.client!r} ({info.role})", file=out)
        elif command.action == "ensure-local":
            assert command.directory is not None
            ensure_local_keys(store, command.directory, out)
        return 0
    finally:
        engine.dispose()


def ensure_local_keys(store: ApiKeyStore, directory: Path, out: TextIO) -> dict[Role, Path]:
    """Make sure ``directory`` holds a valid token for each role; create the missing ones.

    Returns
    -------
    dict of Role to Path
        The token file of each role.
    """
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    for role in Role:
        path = directory / f"{role.value}.token"
        files[role] = path
        if path.exists() and store.authenticate(path.read_text().strip()) is not None:
            continue
        info, token = store.create(f"local-{role.value}", role, created_by="ensure-local")
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(token + "\n")
        print(f"created {role.value} key {info.id} for client {info.client!r}: {path}", file=out)
    return files


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m api.keys``."""
    return run(parse_args(argv))


def _print_table(keys: list[ApiKeyInfo], out: TextIO) -> None:
    print(f"{'id':<12}  {'client':<24}  {'role':<8}  {'status':<7}  created", file=out)
    for key in keys:
        status = "active" if key.active else "revoked"
        created = key.created_at.strftime("%Y-%m-%d %H:%M")
        print(
            f"{key.id:<12}  {key.client:<24}  {key.role.value:<8}  {status:<7}  {created} "
            f"by {key.created_by}",
            file=out,
        )


if __name__ == "__main__":
    raise SystemExit(main())
