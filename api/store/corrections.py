"""A reviewer's correction of a stored result: what may change, and how it is written.

A correction amends the interpretation, never the measurement: the
model's scores, decision, QC and out-of-distribution flag stay as the model
wrote them. A reviewer may

* set the reclassification verdict (``confirmed``, ``reclassified``,
  ``not_classifiable``, ``diagnosis_unrecognised``); the service's own
  verdict is kept beside it as ``reclassification.service_verdict``;
* name the class the laboratory reports (one of the classes of the model
  that made the result);
* add a comment;

and must say why. The corrected result is the old one with the verdict
amended and a ``review`` block (see :func:`amend`); it is stored as a new
row whose ``supersedes_id`` names the old one, which is never changed.
Amendments accumulate: correcting a correction keeps what the earlier one
set unless it is set again.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from classifier.reclassification import Verdict
from classifier.taxonomy import load_taxonomy

__all__ = [
    "MAX_COMMENT_LENGTH",
    "MAX_REASON_LENGTH",
    "Correction",
    "CorrectionError",
    "ResultNotFoundError",
    "ResultSupersededError",
    "Review",
    "amend",
    "reportable_classes",
]

MAX_REASON_LENGTH = 2000
MAX_COMMENT_LENGTH = 4000


class CorrectionError(ValueError):
    """A correction that cannot be applied.

    Attributes
    ----------
    field : str or None
        The correction's field at fault (``reason``, ``reported_class``, ...).
    type : str
        A stable code: ``missing_reason``, ``too_long``, ``unknown_verdict``,
        ``unknown_class``, ``nothing_to_correct``.
    """

    def __init__(self, message: str, *, field: str | None, type: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.type = type


class ResultNotFoundError(LookupError):
    """No stored result has the id."""

    def __init__(self, result_id: str) -> None:
        super().__init__(f"no stored result has the id {result_id!r}")
        self.result_id = result_id


class ResultSupersededError(Exception):
    """The result has been corrected already: correct its newest version.

    Attributes
    ----------
    result_id : str
    superseded_by : str
        The correction that replaces it.
    newest : str
        The current version of the result (the end of the chain of corrections).
    """

    def __init__(self, result_id: str, superseded_by: str, newest: str) -> None:
        super().__init__(
            f"result {result_id} has been superseded by {superseded_by}; "
            f"correct the newest version, {newest}"
        )
        self.result_id = result_id
        self.superseded_by = superseded_by
        self.newest = newest


@dataclass(frozen=True)
class Correction:
    """What a reviewer changes in a result, and why.

    Parameters
    ----------
    reason : str
        Why the result is corrected (mandatory, free text).
    reclassification_verdict : str, optional
        A value of :class:`classifier.reclassification.Verdict`.
    reported_class : str, optional
        Code of the class the laboratory reports; a class of the model
        that made the result.
    comment : str, optional
        The reviewer's comment, shown with the result.
    signed_off : bool, optional
        ``True``: the reviewer has looked at the result and signs it off,
        so that it no longer needs attention (the service's reasons stay
        shown beside the sign-off); ``False`` withdraws an earlier
        sign-off; ``None`` keeps what an earlier correction said, unless
        this correction changes the verdict or the reported class: what was
        signed off has then changed, and the sign-off is withdrawn.

    Raises
    ------
    CorrectionError
        For a blank or overlong reason or comment, an unknown verdict, or
        a correction that changes nothing.
    """

    reason: str
    reclassification_verdict: str | None = None
    reported_class: str | None = None
    comment: str | None = None
    signed_off: bool | None = None

    def __post_init__(self) -> None:
        reason = (self.reason or "").strip()
        if not reason:
            raise CorrectionError(
                "a correction needs a reason (free text)", field="reason", type="missing_reason"
            )
        _check_length("reason", reason, MAX_REASON_LENGTH)
        object.__setattr__(self, "reason", reason)
        comment = (self.comment or "").strip() or None
        if comment is not None:
            _check_length("comment", comment, MAX_COMMENT_LENGTH)
        object.__setattr__(self, "comment", comment)
        verdicts = [v.value for v in Verdict]
        if self.reclassification_verdict is not None and (
            self.reclassification_verdict not in verdicts
        ):
            raise CorrectionError(
                f"reclassification_verdict must be one of {', '.join(verdicts)}; "
                f"got {self.reclassification_verdict!r}",
                field="reclassification_verdict",
                type="unknown_verdict",
            )
        if not self.amends_interpretation and self.signed_off is None:
            raise CorrectionError(
                "a correction must change something: give reclassification_verdict, "
                "reported_class, comment or signed_off",
                field=None,
                type="nothing_to_correct",
            )

    @property
    def amends_interpretation(self) -> bool:
        """Whether this correction sets a verdict, a reported class or a comment."""
        return self.changes_call or bool(self.comment)

    @property
    def changes_call(self) -> bool:
        """Whether this correction sets a verdict or a reported class (what a sign-off covers)."""
        return self.reclassification_verdict is not None or self.reported_class is not None


class Review(BaseModel):
    """A reviewer's amendments of a stored result, as they stand after the latest correction.

    Written by :func:`amend` into the corrected result (its ``review``), and
    the description of that part of a result in the API.
    """

    model_config = ConfigDict(extra="forbid")

    supersedes_id: str
    corrected_by: str | None
    corrected_at: str
    request_id: str | None = Field(
        default=None,
        description="The correcting request (its X-Request-ID, in the service's log); "
        "null for corrections stored before it was kept.",
    )
    reason: str
    reported_class: str | None
    reported_class_name: str | None
    comment: str | None
    signed_off: bool = Field(
        default=False,
        description="Whether a reviewer has signed the result off (it then needs no attention).",
    )
    signed_off_by: str | None = Field(default=None, description="The reviewer who signed it off.")
    signed_off_at: str | None = Field(default=None, description="When (UTC, ISO 8601).")
    amends_interpretation: bool | None = Field(
        default=None,
        description="Whether the latest correction set a verdict, class or comment; false "
        "when it only signed the result off or withdrew a sign-off; null for corrections "
        "stored before it was kept.",
    )


def amend(
    result: dict[str, Any],
    correction: Correction,
    *,
    supersedes_id: str,
    corrected_by: str | None,
    corrected_at: datetime,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The corrected result: a new dict, ``result`` is left as it is.

    ``review`` holds ``supersedes_id``, ``corrected_by``, ``corrected_at``
    (ISO 8601), ``request_id`` (of the correcting request, which the
    service's log names; the result's own ``request_id`` stays the one that
    classified the profile), ``reason``, ``reported_class`` and ``reported_class_name``
    (or ``None``), ``comment`` (or ``None``), ``signed_off`` (with
    ``signed_off_by`` and ``signed_off_at``, the correction that signed the
    result off, or ``None``), as set by this correction or kept from an
    earlier one; and ``amends_interpretation``, whether this correction
    itself set a verdict, a class or a comment (``False`` for one that only
    signs off or withdraws a sign-off: the FHIR report tells them apart).

    Raises
    ------
    CorrectionError
        If ``reported_class`` is not a class of the model that made ``result``,
        or if the correction only signs off a result already signed off (or
        withdraws a sign-off that was never given).
    """
    amended = copy.deepcopy(result)
    earlier = amended.get("review") or {}
    reported_class = earlier.get("reported_class")
    reported_name = earlier.get("reported_class_name")
    if correction.reported_class is not None:
        reported_class = correction.reported_class
        reported_name = _class_name(amended["classification"], reported_class)
    reclassification = amended["reclassification"]
    if correction.reclassification_verdict is not None:
        reclassification.setdefault("service_verdict", reclassification["verdict"])
        reclassification["verdict"] = correction.reclassification_verdict
    was_signed_off = bool(earlier.get("signed_off"))
    if not correction.amends_interpretation and correction.signed_off == was_signed_off:
        # A new version that says what the current one says would be noise in the audit trail.
        state = "signed off already" if was_signed_off else "not signed off"
        raise CorrectionError(
            f"the result is {state}: this correction would change nothing",
            field="signed_off",
            type="nothing_to_correct",
        )
    signed_off = was_signed_off
    signed_off_by, signed_off_at = earlier.get("signed_off_by"), earlier.get("signed_off_at")
    # What was signed off is the interpretation as it stood: a new verdict or
    # reported class is not, unless this same correction signs it off again.
    if correction.signed_off is not None or correction.changes_call:
        signed_off = bool(correction.signed_off)
        # Signed off again beside a comment alone: who signed off, and when, stay.
        if not (signed_off and was_signed_off and not correction.changes_call):
            signed_off_by = corrected_by if signed_off else None
            signed_off_at = corrected_at.isoformat() if signed_off else None
    amended["review"] = Review(
        supersedes_id=supersedes_id,
        corrected_by=corrected_by,
        corrected_at=corrected_at.isoformat(),
        request_id=request_id,
        reason=correction.reason,
        reported_class=reported_class,
        reported_class_name=reported_name,
        comment=correction.comment if correction.comment else earlier.get("comment"),
        signed_off=signed_off,
        signed_off_by=signed_off_by,
        signed_off_at=signed_off_at,
        amends_interpretation=correction.amends_interpretation,
    ).model_dump(mode="json")
    return amended


def reportable_classes(classification: dict[str, Any]) -> dict[str, str]:
    """The classes a reviewer may report for a result, by score, highest first, with names.

    Parameters
    ----------
    classification : dict
        The result's ``classification``: its ``scores`` are the classes of the
        model that made it; names come from ``top_classes``, else the taxonomy.

    Returns
    -------
    dict of str to str
        Class code to display name (the name a correction stores).
    """
    listed = {entry["code"]: entry["name"] for entry in classification.get("top_classes", [])}
    taxonomy = load_taxonomy()
    ranked = sorted((classification.get("scores") or {}).items(), key=lambda kv: -kv[1])
    return {code: listed.get(code) or taxonomy.display_name(code) for code, _ in ranked}


def _class_name(classification: dict[str, Any], code: str) -> str:
    names = reportable_classes(classification)
    if code not in names:
        raise CorrectionError(
            f"reported_class {code!r} is not a class of the model that made this result "
            f"({len(names)} classes; see classification.scores)",
            field="reported_class",
            type="unknown_class",
        )
    return names[code]


def _check_length(name: str, text: str, most: int) -> None:
    if len(text) > most:
        raise CorrectionError(
            f"{name} has {len(text)} characters; at most {most} are kept",
            field=name,
            type="too_long",
        )
