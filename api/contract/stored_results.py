"""Request and response bodies of ``/v1/results``: stored results and their corrections."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints
from pydantic_core import PydanticCustomError

from api.contract.profile_result import ModelRef, ProfileResult
from api.intake.text_rules import describe_refused, refused_character_at
from api.store.corrections import MAX_COMMENT_LENGTH, MAX_REASON_LENGTH, Correction
from classifier.reclassification import Verdict

__all__ = ["CorrectionIn", "ResultList", "StoredResultOut"]


def _no_control_characters(text: str) -> str:
    # The rule of a profile's text fields (a NUL was a 500 on PostgreSQL); line
    # breaks and tabs are welcome in a reason or a comment. Same error type too.
    bad = refused_character_at(text, single_line=False)
    if bad is not None:
        raise PydanticCustomError(
            "invalid_character", "contains {character}", {"character": describe_refused(text, bad)}
        )
    return text


class StoredResultOut(BaseModel):
    """A stored result with its audit record."""

    result_id: str
    request_id: str = Field(description="The request that produced it.")
    client: str | None = Field(description="Name of the API key's client that submitted it.")
    accession: str = Field(description="The sample_id as submitted.")
    values_sha256: str = Field(description="SHA-256 of the submitted probe ids and values.")
    input_sha256: str = Field(
        description="SHA-256 of the values, diagnosis, findings and result options."
    )
    array_type: str | None
    model: ModelRef
    code_version: str
    supersedes_id: str | None = Field(description="The result this one corrects, if any.")
    superseded_by: str | None = Field(
        default=None,
        description="The correction that replaces this result (it is then not the current "
        "version; read that one).",
    )
    corrected_by: str | None = Field(
        default=None, description="For a correction: the reviewer's client."
    )
    correction_reason: str | None = Field(default=None, description="For a correction: why.")
    created_at: str
    needs_attention: list[str] = Field(
        description="Why a reviewer should look first: no match, fusion evidence "
        "inconsistent, findings against the call, DSRCT check flagged, reclassified, out of "
        "distribution, low coverage. Empty once a reviewer has signed the result off "
        "(result.review.signed_off)."
    )
    flags: list[str] = Field(
        default_factory=list,
        description="The service's reasons of attention, whether or not a reviewer has signed "
        "the result off (needs_attention is these until then).",
    )
    result: ProfileResult


class ResultList(BaseModel):
    """Stored results, newest first, one page."""

    results: list[StoredResultOut]
    next_offset: int | None = Field(
        default=None, description="The offset of the next page; null on the last."
    )


class CorrectionIn(BaseModel):
    """A correction of a result's interpretation (the model's scores cannot be changed)."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REASON_LENGTH),
        AfterValidator(_no_control_characters),
    ] = Field(description="Why the result is corrected (mandatory).")
    reclassification_verdict: Verdict | None = Field(
        default=None,
        description="The verdict against the submitted diagnosis, as the reviewer sees it.",
    )
    reported_class: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="Code of the class the laboratory reports (a class of the model)."
    )
    comment: (
        Annotated[
            str,
            StringConstraints(max_length=MAX_COMMENT_LENGTH),
            AfterValidator(_no_control_characters),
        ]
        | None
    ) = None
    signed_off: StrictBool | None = Field(
        default=None,
        description="true: the reviewer signs the result off, and it leaves the top of the "
        "worklist (the service's reasons stay shown); false: withdraws a sign-off; "
        "absent: as an earlier correction left it.",
    )

    def to_correction(self) -> Correction:
        """The domain's :class:`~api.store.Correction` (which checks what is left to check).

        Raises
        ------
        CorrectionError
            For a correction that changes nothing.
        """
        return Correction(**self.model_dump(mode="json"))
