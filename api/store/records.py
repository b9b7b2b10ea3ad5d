"""What the result store takes and gives back: plain, frozen records.

:class:`NewResult` is one profile's result before it is stored;
:class:`StoredResult` is a stored row as read back, with whether a newer
version (a correction) replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from api.store.tables import ResultRow

__all__ = ["ROW_FIELDS", "STATEMENT_FIELDS", "NewResult", "StoredResult", "attention_reasons"]


@dataclass(frozen=True)
class NewResult:
    """One profile's result, ready to store.

    Attributes
    ----------
    accession : str
        The ``sample_id`` as given.
    values_sha256, input_sha256 : str
        See :mod:`api.classification.input_fingerprint`.
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
        ``request_id``: the classify request that produced the result (for a
        correction, the one that produced the corrected original).
    client : str or None
        The client that submitted the profile (also for a correction).
    accession, values_sha256, input_sha256 : str
    array_type : str or None
    model_name, model_version : str
    model_run_id, model_fingerprint, manifest_sha256 : str or None
        The last two are ``None`` for results stored before schema revision 0002.
    code_version : str
    result : dict
    decision, top_class, fusion_status, reclassification : str
    score : float
    out_of_distribution, needs_attention : bool
    supersedes_id : str or None
        The result this one corrects.
    corrected_by, correction_reason : str or None
        Who corrected it and why (corrections only).
    created_at : datetime
        UTC.
    superseded_by : str or None
        The correction that replaces this result, if any: this one is then
        not the current version.
    resubmitted : bool
        Set by :meth:`~api.store.ResultStore.record`: stored before this request.
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
    model_fingerprint: str | None
    manifest_sha256: str | None
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
    corrected_by: str | None
    correction_reason: str | None
    created_at: datetime
    superseded_by: str | None = None
    resubmitted: bool = False

    @classmethod
    def from_row(
        cls, row: ResultRow, *, superseded_by: str | None = None, resubmitted: bool = False
    ) -> StoredResult:
        """Read a table row (SQLite returns naive datetimes, PostgreSQL its session's zone)."""
        created = row.created_at
        created = created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)
        values = {f: getattr(row, f) for f in ROW_FIELDS}
        return cls(
            **values, created_at=created, superseded_by=superseded_by, resubmitted=resubmitted
        )

    @property
    def is_correction(self) -> bool:
        """Whether this result corrects another."""
        return self.supersedes_id is not None

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
        """Why a reviewer should look at this result first (empty if nothing, or signed off)."""
        return [] if self.signed_off else self.flags

    @property
    def flags(self) -> list[str]:
        """The service's reasons of attention, signed off or not (:func:`attention_reasons`)."""
        return attention_reasons(self.result)

    @property
    def signed_off(self) -> bool:
        """Whether a reviewer has signed the result off (see :func:`needs_attention`)."""
        return is_signed_off(self.result)


def is_signed_off(result: dict[str, Any]) -> bool:
    """Whether the latest correction of a result left it signed off by a reviewer."""
    return bool((result.get("review") or {}).get("signed_off"))


def needs_attention(result: dict[str, Any]) -> bool:
    """Whether a result goes to the top of the worklist: a reason, and no sign-off yet.

    A signed-off result keeps its :func:`attention_reasons` (the case page
    shows them beside the sign-off); it no longer waits for a reviewer.
    """
    return bool(attention_reasons(result)) and not is_signed_off(result)


def attention_reasons(result: dict[str, Any]) -> list[str]:
    """Why a reviewer should look at a result first, in words (empty if nothing).

    No match (also when the quality gate withheld the call), fusion evidence
    inconsistent with the call, a finding against the call that does not
    make it inconsistent (a ``discordant`` status: a negative test, a
    break-apart or stain pointing elsewhere), a flagged DSRCT check, a
    reclassified diagnosis, a confident call that is not classifiable (a
    control-tissue class, or a family call that cannot tell benign from
    malignant), a profile unlike the reference cohort, or one that measures
    too few of the model's CpGs (``low_coverage``).
    """
    call = result["classification"]
    fusion = result["fusion_consistency"]
    reasons = []
    if call["decision"] == "no_match":
        reasons.append("no match")
    if fusion["status"] == "inconsistent":
        reasons.append("fusion evidence inconsistent")
    elif fusion.get("contradicting"):
        reasons.append("findings against the call")
    if (fusion.get("dsrct_check") or {}).get("flagged"):
        reasons.append("DSRCT check flagged")
    verdict = result["reclassification"]["verdict"]
    if verdict == "reclassified":
        reasons.append("reclassified")
    elif verdict == "not_classifiable" and call["decision"] != "no_match":
        # a confident call that says little about the tumour (a control class)
        # or a family call that cannot speak to benign versus malignant
        reasons.append("not classifiable")
    if call["out_of_distribution"]:
        reasons.append("out of distribution")
    if any(w.get("code") == "low_coverage" for w in result["qc"].get("warnings", [])):
        reasons.append("low coverage")
    return reasons


#: The columns of ``results`` that hold the request and the model's statement:
#: a correction copies them unchanged from the result it replaces.
STATEMENT_FIELDS: tuple[str, ...] = (
    "request_id",
    "client",
    "accession",
    "values_sha256",
    "input_sha256",
    "array_type",
    "model_name",
    "model_version",
    "model_run_id",
    "model_fingerprint",
    "manifest_sha256",
    "decision",
    "top_class",
    "score",
    "fusion_status",
    "out_of_distribution",
)

#: The columns of ``results`` that :class:`StoredResult` carries as they are.
ROW_FIELDS: tuple[str, ...] = (
    "id",
    *STATEMENT_FIELDS,
    "code_version",
    "result",
    "reclassification",
    "needs_attention",
    "supersedes_id",
    "corrected_by",
    "correction_reason",
)
