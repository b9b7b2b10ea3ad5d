"""The result store's tables: accepted requests, results, and which result each request got.

Three tables, all append-only (the service inserts, never updates or deletes):

``classify_requests``
    One row per accepted classify request: who sent it, when, through which
    route, and how many results it got (new and resubmitted).
``results``
    One row per classification: the accession as given, the SHA-256 of the
    submitted values, the model (with its fingerprint), the probe manifest
    and code that answered, the full result, and the columns the worklist
    filters on. A correction is a new row whose ``supersedes_id`` names the
    row it replaces (at most one row replaces a given row), with who
    corrected it and why.
``deliveries``
    Which stored result each request received, in request order; a
    resubmission gets a delivery of the result stored before.

No beta value and no patient identifier beyond the accession the LIS chose
is stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["DeliveryRow", "RequestRow", "ResultRow", "StoreBase"]


class StoreBase(DeclarativeBase):
    """Declarative base of the result store's tables."""


class RequestRow(StoreBase):
    """One accepted classify request (the audit trail's unit).

    Attributes
    ----------
    request_id : str
        The service's request id (``X-Request-ID``), never the client's.
    client : str or None
        Name of the API key's client (``anonymous`` without authentication).
    route : str
        ``/v1/classify`` or ``/ui/submit``.
    received_at : datetime
        UTC.
    n_results, n_resubmitted : int
        Results returned, and how many of them had been stored before.
    """

    __tablename__ = "classify_requests"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client: Mapped[str | None] = mapped_column(String(64), index=True)
    route: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    n_results: Mapped[int] = mapped_column(Integer)
    n_resubmitted: Mapped[int] = mapped_column(Integer)


class ResultRow(StoreBase):
    """One stored classification.

    Attributes
    ----------
    id : str
        Result id (32 hex digits), quoted in responses as ``result_id``.
    request_id : str
        The request that produced it.
    client : str or None
    accession : str
        The ``sample_id`` as the client gave it.
    values_sha256 : str
        SHA-256 of the submitted probe ids and values
        (see :mod:`api.classification.input_fingerprint`).
    input_sha256 : str
        SHA-256 of the values together with the diagnosis, findings and
        result options: equal inputs give equal results.
    array_type : str or None
    model_name, model_version : str
    model_run_id : str or None
    model_fingerprint : str or None
        SHA-256 of the trained bundle
        (see :func:`api.served_model.model_identity.model_fingerprint`);
        ``None`` for results stored before schema revision 0002.
    manifest_sha256 : str or None
        SHA-256 of the probe manifest (see :func:`api.served_model.model_identity.manifest_sha256`);
        ``None`` before revision 0002.
    code_version : str
    result : dict
        The full result as returned (without ``result_id`` and ``stored``).
    decision, top_class, fusion_status, reclassification : str
    score : float
    out_of_distribution, needs_attention : bool
        ``needs_attention``: any reason of
        :func:`~api.store.records.attention_reasons` and no reviewer's
        sign-off (:func:`~api.store.records.needs_attention`), as the result
        was stored.
    supersedes_id : str or None
        The result this one corrects.
    corrected_by : str or None
        For a correction: the name of the reviewer's API key client.
    correction_reason : str or None
        For a correction: why, in the reviewer's words.
    created_at : datetime
        UTC (for a correction: when it was corrected).
    """

    __tablename__ = "results"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("classify_requests.request_id"), index=True
    )
    client: Mapped[str | None] = mapped_column(String(64))
    accession: Mapped[str] = mapped_column(String(500), index=True)
    values_sha256: Mapped[str] = mapped_column(String(64))
    input_sha256: Mapped[str] = mapped_column(String(64))
    array_type: Mapped[str | None] = mapped_column(String(16))
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(64))
    model_run_id: Mapped[str | None] = mapped_column(String(64))
    model_fingerprint: Mapped[str | None] = mapped_column(String(64))
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    code_version: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(16))
    top_class: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    fusion_status: Mapped[str] = mapped_column(String(32))
    reclassification: Mapped[str] = mapped_column(String(32))
    out_of_distribution: Mapped[bool] = mapped_column(Boolean)
    needs_attention: Mapped[bool] = mapped_column(Boolean)
    supersedes_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("results.id"), default=None
    )
    corrected_by: Mapped[str | None] = mapped_column(String(64))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    __table_args__ = (
        # Idempotent resubmission: one original result per client, accession,
        # input and trained model (corrections, with supersedes_id, are exempt).
        # The fingerprint tells apart retrained bundles of one name and version.
        Index(
            "uq_results_resubmission",
            "client",
            "accession",
            "input_sha256",
            "model_name",
            "model_version",
            "model_fingerprint",
            unique=True,
            sqlite_where=text("supersedes_id IS NULL"),
            postgresql_where=text("supersedes_id IS NULL"),
        ),
        Index("ix_results_worklist", "needs_attention", "created_at"),
        # One correction per result: two reviewers correcting the same version
        # at once cannot both succeed (the loser corrects the newest).
        Index("uq_results_supersedes_id", "supersedes_id", unique=True),
        # The worklist's sample-id search (a case-insensitive prefix, LIKE 'abc%'):
        # text_pattern_ops lets PostgreSQL use the index whatever the database's
        # collation. SQLite has no use for it (its LIKE cannot use an expression index).
        Index(
            "ix_results_accession_lower",
            func.lower(text("accession")).label("accession_lower"),
            postgresql_ops={"accession_lower": "text_pattern_ops"},
        ).ddl_if(dialect="postgresql"),
    )


class DeliveryRow(StoreBase):
    """A stored result returned to a request, at its position in the request.

    Attributes
    ----------
    request_id : str
    position : int
        Index of the profile in the request.
    result_id : str
    resubmitted : bool
        Whether the result had been stored by an earlier request.
    """

    __tablename__ = "deliveries"

    request_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("classify_requests.request_id"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[str] = mapped_column(String(32), ForeignKey("results.id"), index=True)
    resubmitted: Mapped[bool] = mapped_column(Boolean)
