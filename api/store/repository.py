"""Writing and reading stored results: the only code that touches the store's tables.

Writes only insert: a result, once stored, is never changed or deleted.
:meth:`ResultStore.record` stores one request's results in one transaction
(the request row, new result rows, one delivery per profile), so that an
accepted request always has its rows or the request fails. A profile whose
client, accession, input and trained model (name, version and fingerprint)
equal a stored result's gets that stored result back (``resubmitted``), in
its newest version if it has been corrected; a unique index keeps two
replicas from storing the same original twice, and the loser of such a
race reads the winner's row. :meth:`ResultStore.correct` appends a
correction (see :mod:`api.store.corrections`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Engine, Row, Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.store.corrections import (
    Correction,
    ResultNotFoundError,
    ResultSupersededError,
    amend,
)
from api.store.queries import Listing, ResultPage, ResultQuery, select_results
from api.store.records import STATEMENT_FIELDS, NewResult, StoredResult, needs_attention
from api.store.tables import DeliveryRow, RequestRow, ResultRow

__all__ = ["ResultStore"]

_REQUESTS = cast(Table, RequestRow.__table__)
_RESULTS = cast(Table, ResultRow.__table__)
_DELIVERIES = cast(Table, DeliveryRow.__table__)
# Built once: constructing a statement (and its cache key) on every request
# cost more than running it.
_INSERT_REQUEST = _REQUESTS.insert()
_INSERT_RESULTS = _RESULTS.insert()
_INSERT_DELIVERIES = _DELIVERIES.insert()
_ORIGINALS = select(_RESULTS).where(
    _RESULTS.c.client.is_not_distinct_from(bindparam("client")),
    _RESULTS.c.accession.in_(bindparam("accessions", expanding=True)),
    _RESULTS.c.model_name == bindparam("model_name"),
    _RESULTS.c.model_version == bindparam("model_version"),
    _RESULTS.c.model_fingerprint == bindparam("model_fingerprint"),
    _RESULTS.c.input_sha256.in_(bindparam("hashes", expanding=True)),
    _RESULTS.c.supersedes_id.is_(None),
)


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
            The ``model`` block of the results
            (:func:`api.classification.result_builder.model_ref`):
            ``name``, ``version``, ``run_id``, ``fingerprint`` and
            ``manifest_sha256`` of the model that answered.
        items : sequence of NewResult
            One per profile, in request order.
        """
        try:
            return self._record(request_id, client, route, model, items)
        except IntegrityError:
            # Another process stored the same original meanwhile: now it is found.
            return self._record(request_id, client, route, model, items)

    def correct(
        self,
        result_id: str,
        correction: Correction,
        *,
        corrected_by: str | None,
        request_id: str | None = None,
    ) -> StoredResult:
        """Append a correction of a result and return it (the old row stays as it is).

        Parameters
        ----------
        result_id : str
            The result to correct: its newest version.
        correction : Correction
        corrected_by : str or None
            Name of the reviewer's client.
        request_id : str, optional
            The correcting request's id, kept in the result's ``review``.

        Raises
        ------
        ResultNotFoundError
            If no result has the id.
        ResultSupersededError
            If the result has been corrected already (also when another
            reviewer's correction won a race).
        CorrectionError
            If the correction does not fit the result (e.g. an unknown class).
        """
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                old = session.get(ResultRow, result_id)
                if old is None:
                    raise ResultNotFoundError(result_id)
                self._refuse_superseded(session, result_id)
                row = self._correction_row(old, correction, corrected_by, request_id)
                session.add(row)
        except IntegrityError:
            with Session(self.engine) as session:
                self._refuse_superseded(session, result_id)
            raise
        return StoredResult.from_row(row)

    def get(self, result_id: str) -> StoredResult | None:
        """The result with this id (whether superseded or not), or ``None``."""
        with Session(self.engine) as session:
            row = session.get(ResultRow, result_id)
            if row is None:
                return None
            successor = session.scalar(
                select(ResultRow.id).where(ResultRow.supersedes_id == result_id)
            )
            return StoredResult.from_row(row, superseded_by=successor)

    def newest(self, result_id: str) -> str:
        """The id of the current version of a result (itself if never corrected)."""
        with Session(self.engine) as session:
            return self._newest_id(session, result_id)

    def find(self, query: ResultQuery, listing: Listing | None = None) -> list[StoredResult]:
        """Stored results matching ``query``: the first page unless ``listing`` says otherwise.

        See :mod:`api.store.queries` for the order; only current versions
        are listed unless ``listing.include_superseded``.
        """
        return self.find_page(query, listing).results

    def find_page(self, query: ResultQuery, listing: Listing | None = None) -> ResultPage:
        """One page of the results matching ``query``, and where the next one starts.

        Parameters
        ----------
        query : ResultQuery
            Filters, order and page size.
        listing : Listing, optional
            Page offset, attention window, whether superseded results count.
        """
        listing = listing or Listing()
        stmt = select_results(query, listing, extra=1)
        with Session(self.engine) as session:
            rows = session.execute(stmt).all()
        results = [StoredResult.from_row(row, superseded_by=s) for row, s in rows[: query.limit]]
        more = len(rows) > query.limit
        return ResultPage(
            results=results,
            offset=listing.offset,
            limit=query.limit,
            next_offset=listing.offset + query.limit if more else None,
        )

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
        # Core statements on one connection, not an ORM session: rows written
        # once need no unit of work, and this runs before every answer.
        with self.engine.begin() as conn:
            known: dict[tuple[str, str], Any] = self._newest_versions(
                conn, self._originals(conn, client, model, items)
            )
            new: list[dict[str, Any]] = []
            flags: list[bool] = []
            for item in items:
                # A profile repeated within the batch gets the first one's row.
                key = (item.accession, item.input_sha256)
                flags.append(key in known)
                if key not in known:
                    new.append(self._new_row(item, request_id, client, model, now))
                    known[key] = SimpleNamespace(**new[-1])
            delivered = [known[(i.accession, i.input_sha256)] for i in items]
            request = {
                "request_id": request_id,
                "client": client,
                "route": route,
                "received_at": now,
                "n_results": len(items),
                "n_resubmitted": sum(flags),
            }
            conn.execute(_INSERT_REQUEST, [request])
            if new:
                conn.execute(_INSERT_RESULTS, new)
            conn.execute(
                _INSERT_DELIVERIES,
                [
                    {"request_id": request_id, "position": p, "result_id": r.id, "resubmitted": f}
                    for p, (r, f) in enumerate(zip(delivered, flags, strict=True))
                ],
            )
        return [
            StoredResult.from_row(r, resubmitted=f) for r, f in zip(delivered, flags, strict=True)
        ]

    def _originals(
        self,
        conn: Connection,
        client: str | None,
        model: dict[str, Any],
        items: Sequence[NewResult],
    ) -> dict[tuple[str, str], Row]:
        params = {
            "client": client,
            # By accession too: the same values sent for many accessions (a
            # control run daily, say) would otherwise load every one of their rows.
            "accessions": sorted({item.accession for item in items}),
            "model_name": str(model["name"]),
            "model_version": str(model["version"]),
            "model_fingerprint": str(model["fingerprint"]),
            "hashes": sorted({item.input_sha256 for item in items}),
        }
        rows = conn.execute(_ORIGINALS, params)
        return {(row.accession, row.input_sha256): row for row in rows}

    @staticmethod
    def _newest_versions(
        conn: Connection, originals: dict[tuple[str, str], Row]
    ) -> dict[tuple[str, str], Row]:
        # A resubmission gets the current version: a corrected result's correction.
        newest = dict(originals)
        frontier = {row.id: key for key, row in originals.items()}
        while frontier:
            successors = conn.execute(
                select(_RESULTS).where(_RESULTS.c.supersedes_id.in_(sorted(frontier)))
            ).all()
            following: dict[str, tuple[str, str]] = {}
            for row in successors:
                key = frontier[str(row.supersedes_id)]
                newest[key] = row
                following[row.id] = key
            frontier = following
        return newest

    @staticmethod
    def _newest_id(session: Session, result_id: str) -> str:
        current = result_id
        while True:
            successor = session.scalar(
                select(ResultRow.id).where(ResultRow.supersedes_id == current)
            )
            if successor is None:
                return current
            current = successor

    def _refuse_superseded(self, session: Session, result_id: str) -> None:
        successor = session.scalar(select(ResultRow.id).where(ResultRow.supersedes_id == result_id))
        if successor is not None:
            raise ResultSupersededError(result_id, successor, self._newest_id(session, successor))

    def _correction_row(
        self,
        old: ResultRow,
        correction: Correction,
        corrected_by: str | None,
        request_id: str | None,
    ) -> ResultRow:
        now = datetime.now(UTC)
        result = amend(
            old.result,
            correction,
            supersedes_id=old.id,
            corrected_by=corrected_by,
            corrected_at=now,
            request_id=request_id,
        )
        # The model's statement is copied; only the interpretation columns follow the review.
        copied = {name: getattr(old, name) for name in STATEMENT_FIELDS}
        return ResultRow(
            **copied,
            id=uuid.uuid4().hex,
            code_version=self.code_version,
            result=result,
            reclassification=result["reclassification"]["verdict"],
            needs_attention=needs_attention(result),
            supersedes_id=old.id,
            corrected_by=corrected_by,
            correction_reason=correction.reason,
            created_at=now,
        )

    def _new_row(
        self,
        item: NewResult,
        request_id: str,
        client: str | None,
        model: dict[str, Any],
        now: datetime,
    ) -> dict[str, Any]:
        # orjson makes the result plain JSON (numpy numbers, NaN as null).
        result = orjson.loads(orjson.dumps(item.result, option=orjson.OPT_SERIALIZE_NUMPY))
        call = result["classification"]
        return dict(
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
            model_fingerprint=str(model["fingerprint"]),
            manifest_sha256=model.get("manifest_sha256"),
            code_version=self.code_version,
            result=result,
            decision=call["decision"],
            top_class=call["top_class"],
            score=float(call["score"]),
            fusion_status=result["fusion_consistency"]["status"],
            reclassification=result["reclassification"]["verdict"],
            out_of_distribution=bool(call["out_of_distribution"]),
            needs_attention=needs_attention(result),
            supersedes_id=None,
            corrected_by=None,
            correction_reason=None,
            created_at=now,
        )
