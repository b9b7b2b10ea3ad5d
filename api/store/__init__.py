"""The result store: every classification, append-only, in the service's database.

See :mod:`api.store.tables` for what is stored, :mod:`api.store.repository`
for reading and writing, :mod:`api.store.queries` for listings and the
worklist order, :mod:`api.store.corrections` for a reviewer's corrections,
:mod:`api.store.fingerprint` for the input hashes,
:mod:`api.store.provenance` for the model and manifest identity,
:mod:`api.store.schema` for the schema migrations run at start-up and
:mod:`api.store.migrate` for running them by hand (``python -m api.store.migrate``).
"""

from api.store.corrections import (
    Correction,
    CorrectionError,
    ResultNotFoundError,
    ResultSupersededError,
    reportable_classes,
)
from api.store.fingerprint import input_sha256, nans_canonical_of, values_sha256
from api.store.provenance import manifest_sha256, model_fingerprint
from api.store.queries import (
    DEFAULT_ATTENTION_WINDOW,
    MAX_LIMIT,
    Listing,
    ResultPage,
    ResultQuery,
)
from api.store.records import NewResult, StoredResult, attention_reasons, needs_attention
from api.store.repository import ResultStore
from api.store.schema import current_revision, head_revision, upgrade_database

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
    "input_sha256",
    "manifest_sha256",
    "model_fingerprint",
    "nans_canonical_of",
    "needs_attention",
    "reportable_classes",
    "upgrade_database",
    "values_sha256",
]
