"""The result store: every classification, append-only, in the service's database.

See :mod:`api.store.tables` for what is stored, :mod:`api.store.repository`
for reading and writing, :mod:`api.store.queries` for listings and the
worklist order, :mod:`api.store.corrections` for a reviewer's corrections,
:mod:`api.store.engine` for the database engine, :mod:`api.store.alembic_upgrade`
for the schema migrations run at start-up and
:mod:`api.store.migrate` for running them by hand (``python -m api.store.migrate``).
"""

from api.store.alembic_upgrade import current_revision, head_revision, upgrade_database
from api.store.corrections import (
    Correction,
    CorrectionError,
    ResultNotFoundError,
    ResultSupersededError,
    reportable_classes,
)
from api.store.queries import (
    DEFAULT_ATTENTION_WINDOW,
    MAX_LIMIT,
    Listing,
    ResultPage,
    ResultQuery,
)
from api.store.records import NewResult, StoredResult, attention_reasons, needs_attention
from api.store.repository import ResultStore

__all__ = [
    "DEFAULT_ATTENTION_WINDOW",
    "MAX_LIMIT",
    "Correction",
    "CorrectionError",
    "Listing",
    "NewResult",
    "ResultNotFoundError",
    "ResultPage",
    "ResultQuery",
    "ResultStore",
    "ResultSupersededError",
    "StoredResult",
    "attention_reasons",
    "current_revision",
    "head_revision",
    "needs_attention",
    "reportable_classes",
    "upgrade_database",
]
