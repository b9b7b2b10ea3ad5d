"""Writing and reading stored results: the only code that touches the store's tables.

Writes only insert: a result, once stored, is never changed or deleted.
:meth:`ResultStore.record` stores one request's results in one transaction
(the request row, new result rows, one delivery per profile), so that an
accepted request always has its rows or the request fails. A profile whose
client, accession, input and model equal a stored result's gets that stored
result back (``resubmitted``); a unique index keeps two replicas from
storing the same original twice, and the loser of such a race reads the
winner's row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine, Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.store.tables import DeliveryRow, RequestRow, ResultRow

__all__ = [
    "MAX_LIMIT",
    "NewResult",
    "ResultQuery",
    "ResultStore",
    "StoredResult",
    "attention_reasons",
]

#: Most results one query returns.
MAX_LIMIT = 500


@dataclass(frozen=True)
class NewResult:
    """One profile's result, ready to store.

    Attributes
    ----------
    accession : str
        The ``sample_id`` as given.
    values_sha256, input_sha256 : str
        See :mod:`api.store.fingerprint`.
    result : dict
        The result as built for the response.
    """

    accession: str
    values_sha256: str
    input_sha256: str
    result: dict[str, Any]


@dataclass(frozen=True)
class StoredResult:
    """A stored result, as read back.

    Attributes
    ----------
    id, request_id : str
    client : str or None
    accession, values_sha256, input_sha256 : str
    array_type : str or None
    model_name, model_version : str
    model_run_id : str or None
    code_version : str
    result : dict
    decision, top_class, fusion_status, reclassification : str
    score : float
    out_of_distribution, needs_attention : bool
    supersedes_id : str or None
    created_at : datetime
        UTC.
    resubmitted : bool
        Set by :meth:`ResultStore.record`: stored before this request.
    """

    id: str
    request_id: str
    client: str | None
    accession: str
    values_sha256: str
    input_sha256: str
    array_type: str | None
    model_name: str
    model_version: str
    model_run_id: str | None
    code_version: str
    result: dict[str, Any]
    decision: str
    top_class: str
    score: float
    fusion_status: str
    reclassification: str
    out_of_distribution: bool
    needs_attention: bool
    supersedes_id: str | None
    created_at: datetime
    resubmitted: bool = False

    @classmethod
    def from_row(cls, row: ResultRow, resubmitted: bool = False) -> StoredResult:
        """Read a table row (SQLite returns naive datetimes, PostgreSQL its session's zone)."""
        created = row.created_at
        created = created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)
        values = {f: getattr(row, f) for f in _ROW_FIELDS}
        return cls(**values, created_at=created, resubmitted=resubmitted)

    def response(self) -> dict[str, Any]:
        """The result as the API returns it: with ``result_id`` and ``stored``."""
        return {
            **self.result,
            "result_id": self.id,
            "stored": {
                "result_id": self.id,
                "resubmitted": self.resubmitted,
                "created_at": self.created_at.isoformat(),
            },
        }

    @property
    def attention(self) -> list[str]:
        """Why a reviewer should look at this result first (empty if nothing)."""
        return attention_reasons(self.result)


@dataclass(frozen=True)
class ResultQuery:
    """Which stored results to list.

    Attributes
    ----------
    accession, decision, top_class, fusion_status : str or None
        Exact matches; ``None`` = any.
    client : str or None
        Only results of this client (for a key that may read only its own).
    attention_first : bool
        Results needing attention first, then newest first.
    limit : int
    """

    accession: str | None = None
    decision: str | None = None
    top_class: str | None = None
    fusion_status: str | None = None
    client: str | None = None
    attention_first: bool = False
    limit: int = 50
    filters: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {self.limit}")
        chosen = {
            "accession": self.accession,
            "decision": self.decision,
            "top_class": self.top_class,
            "fusion_status": self.fusion_status,
            "client": self.client,
        }
        object.__setattr__(self, "filters", {k: v for k, v in chosen.items() if v is not None})


class ResultStore:
    """The result store over one database.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Its schema must be at the migrations' head (:func:`api.store.upgrade_database`).
    code_version : str
        Version of the service's code, recorded with every result.
    """

    def __init__(self, engine: Engine, code_version: str) -> None:
        self.engine = engine
        self.code_version = code_version

    def record(
        self,
        *,
        request_id: str,
        client: str | None,
        route: str,
        model: dict[str, Any],
        items: Sequence[NewResult],
    ) -> list[StoredResult]:
        """Store one accepted request and its results; return them in request order.

        Parameters
        ----------
        request_id : str
        client : str or None
        route : str
            ``/v1/classify`` or ``/ui/submit``.
        model : dict
            ``name``, ``version`` and ``run_id`` of the model that answered.
        items : sequence of NewResult
            One per profile, in request order.
        """
        try:
            return self._record(request_id, client, route, model, items)
        except IntegrityError:
            # Another process stored the same original meanwhile: now it is found.
            return self._record(request_id, client, route, model, items)

    def get(self, result_id: str) -> StoredResult | None:
        """The result with this id, or ``None``."""
        with Session(self.engine) as session:
            row = session.get(ResultRow, result_id)
            return None if row is None else StoredResult.from_row(row)

    def find(self, query: ResultQuery) -> list[StoredResult]:
        """Stored results matching ``query``, newest first (attention first if asked)."""
        stmt: Select = select(ResultRow)
        for name, value in query.filters.items():
            stmt = stmt.where(getattr(ResultRow, name) == value)
        order = [ResultRow.created_at.desc(), ResultRow.id]
        if query.attention_first:
            order.insert(0, ResultRow.needs_attention.desc())
        stmt = stmt.order_by(*order).limit(query.limit)
        with Session(self.engine) as session:
            return [StoredResult.from_row(row) for row in session.scalars(stmt)]

    def top_classes(self, client: str | None = None) -> list[str]:
        """The distinct top classes of stored results (for a filter's choices)."""
        stmt = select(ResultRow.top_class).distinct().order_by(ResultRow.top_class)
        if client is not None:
            stmt = stmt.where(ResultRow.client == client)
        with Session(self.engine) as session:
            return list(session.scalars(stmt))

    def deliveries(self, request_id: str) -> list[tuple[str, bool]]:
        """``(result_id, resubmitted)`` of each profile of a request, in order."""
        stmt = (
            select(DeliveryRow.result_id, DeliveryRow.resubmitted)
            .where(DeliveryRow.request_id == request_id)
            .order_by(DeliveryRow.position)
        )
        with Session(self.engine) as session:
            return [(r, bool(s)) for r, s in session.execute(stmt)]

    def _record(
        self,
        request_id: str,
        client: str | None,
        route: str,
        model: dict[str, Any],
        items: Sequence[NewResult],
    ) -> list[StoredResult]:
        now = datetime.now(UTC)
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            known = self._originals(session, client, model, items)
            rows: list[ResultRow] = []
            flags: list[bool] = []
            for item in items:
                # A profile repeated within the batch gets the first one's row.
                key = (item.accession, item.input_sha256)
                flags.append(key in known)
                if key not in known:
                    known[key] = self._new_row(item, request_id, client, model, now)
                    rows.append(known[key])
            session.add(
                RequestRow(
                    request_id=request_id,
                    client=client,
                    route=route,
                    received_at=now,
                    n_results=len(items),
                    n_resubmitted=sum(flags),
                )
            )
            session.flush()
            session.add_all(rows)
            session.flush()
            delivered = [known[(i.accession, i.input_sha256)] for i in items]
            session.add_all(
                DeliveryRow(request_id=request_id, position=p, result_id=r.id, resubmitted=f)
                for p, (r, f) in enumerate(zip(delivered, flags, strict=True))
            )
        return [
            StoredResult.from_row(r, resubmitted=f) for r, f in zip(delivered, flags, strict=True)
        ]

    def _originals(
        self,
        session: Session,
        client: str | None,
        model: dict[str, Any],
        items: Sequence[NewResult],
    ) -> dict[tuple[str, str], ResultRow]:
        hashes = sorted({item.input_sha256 for item in items})
        stmt = select(ResultRow).where(
            ResultRow.client.is_not_distinct_from(client),
            ResultRow.model_name == str(model["name"]),
            ResultRow.model_version == str(model["version"]),
            ResultRow.input_sha256.in_(hashes),
            ResultRow.supersedes_id.is_(None),
        )
        return {(row.accession, row.input_sha256): row for row in session.scalars(stmt)}

    def _new_row(
        self,
        item: NewResult,
        request_id: str,
        client: str | None,
        model: dict[str, Any],
        now: datetime,
    ) -> ResultRow:
        # orjson makes the result plain JSON (numpy numbers, NaN as null).
        result = orjson.loads(orjson.dumps(item.result, option=orjson.OPT_SERIALIZE_NUMPY))
        call = result["classification"]
        return ResultRow(
            id=uuid.uuid4().hex,
            request_id=request_id,
            client=client,
            accession=item.accession,
            values_sha256=item.values_sha256,
            input_sha256=item.input_sha256,
            array_type=result["qc"].get("array_type"),
            model_name=str(model["name"]),
            model_version=str(model["version"]),
            model_run_id=model.get("run_id"),
            code_version=self.code_version,
            result=result,
            decision=call["decision"],
            top_class=call["top_class"],
            score=float(call["score"]),
            fusion_status=result["fusion_consistency"]["status"],
            reclassification=result["reclassification"]["verdict"],
            out_of_distribution=bool(call["out_of_distribution"]),
            needs_attention=bool(attention_reasons(result)),
            supersedes_id=None,
            created_at=now,
        )


def attention_reasons(result: dict[str, Any]) -> list[str]:
    """Why a reviewer should look at a result first, in words (empty if nothing).

    No match, fusion evidence inconsistent with the call, a flagged DSRCT
    check, a reclassified diagnosis, or a profile unlike the reference cohort.
    """
    call = result["classification"]
    fusion = result["fusion_consistency"]
    reasons = []
    if call["decision"] == "no_match":
        reasons.append("no match")
    if fusion["status"] == "inconsistent":
        reasons.append("fusion evidence inconsistent")
    if (fusion.get("dsrct_check") or {}).get("flagged"):
        reasons.append("DSRCT check flagged")
    if result["reclassification"]["verdict"] == "reclassified":
        reasons.append("reclassified")
    if call["out_of_distribution"]:
        reasons.append("out of distribution")
    return reasons


_ROW_FIELDS = (
    "id",
    "request_id",
    "client",
    "accession",
    "values_sha256",
    "input_sha256",
    "array_type",
    "model_name",
    "model_version",
    "model_run_id",
    "code_version",
    "result",
    "decision",
    "top_class",
    "score",
    "fusion_status",
    "reclassification",
    "out_of_distribution",
    "needs_attention",
    "supersedes_id",
)
