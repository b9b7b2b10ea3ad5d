"""The result store: every classification, append-only, in the service's database.

See :mod:`api.store.tables` for what is stored, :mod:`api.store.repository`
for reading and writing, :mod:`api.store.fingerprint` for the input hashes
and :mod:`api.store.migrate` for the schema migrations run at start-up.
"""

from api.store.fingerprint import input_sha256, values_sha256
from api.store.migrate import current_revision, head_revision, upgrade_database
from api.store.repository import (
    MAX_LIMIT,
    NewResult,
    ResultQuery,
    ResultStore,
    StoredResult,
    attention_reasons,
)
from api.store.version import code_version

__all__ = [
    "MAX_LIMIT",
    "NewResult",
    "ResultQuery",
    "ResultStore",
    "StoredResult",
    "attention_reasons",
    "code_version",
    "current_revision",
    "head_revision",
    "input_sha256",
    "upgrade_database",
    "values_sha256",
]
