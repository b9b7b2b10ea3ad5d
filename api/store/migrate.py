"""Migrate the service's database to the newest schema, or show its revision.

Command line::

    python -m api.store.migrate [upgrade|current] [--database-url URL]

The service migrates at start-up anyway (:func:`api.store.upgrade_database`);
this is for doing it by hand, or checking. The migrations themselves are in
:mod:`api.store.alembic_upgrade`: the package imports that module, not this one, so that
``python -m`` runs this file only once.
"""

from __future__ import annotations

import argparse
import sys

from api.store.alembic_upgrade import current_revision, head_revision, upgrade_database

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m api.store.migrate``.

    Parameters
    ----------
    argv : list of str, optional
        The arguments; default: the process's.

    Returns
    -------
    int
        The exit status: 0, or 2 when the database cannot be used (said on stderr).
    """
    from api.settings import get_settings
    from api.store.engine import DATABASE_ERRORS, database_error_message, make_engine

    parser = argparse.ArgumentParser(prog="python -m api.store.migrate", description=__doc__)
    parser.add_argument("action", choices=["upgrade", "current"], nargs="?", default="upgrade")
    parser.add_argument("--database-url", help="default: DATABASE_URL of the service settings")
    args = parser.parse_args(argv)
    url = args.database_url or get_settings().database_url
    try:
        engine = make_engine(url)
        try:
            if args.action == "upgrade":
                upgrade_database(engine)
            print(f"database at revision {current_revision(engine)} (newest {head_revision()})")
        finally:
            engine.dispose()
    except DATABASE_ERRORS as exc:
        print(f"error: {database_error_message(url, exc)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
