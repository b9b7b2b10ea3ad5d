"""A received profile, before alignment: the type every body form is read into.

The JSON reader (:mod:`api.intake.json_body`), the Arrow reader
(:mod:`api.intake.arrow_body`) and the submit page all produce
:class:`ProfileInput` objects; the rules every form shares (the batch size,
the fields a profile may have, its findings) are here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from api.frame.errors import InputError, Loc, from_domain_error, quoted
from api.intake.text_rules import check_finding_texts, value_kind
from classifier.diagnoses import DiagnosisCode, parse_diagnosis_code
from classifier.errors import ClassifierError
from classifier.findings import parse_findings
from classifier.probes import ArrayType

__all__ = [
    "PROFILE_FIELDS",
    "ProfileInput",
    "ReadProfiles",
    "check_batch_size",
    "parse_diagnosis_code_at",
    "parse_findings_at",
    "refuse_unknown_fields",
]


@dataclass(frozen=True)
class ProfileInput:
    """One profile as received, before alignment.

    Attributes
    ----------
    index : int
        Position in the request (results keep this order).
    sample_id : str
    diagnosis : str or None
        Submitted diagnosis, free text or class code.
    diagnosis_code : DiagnosisCode or None
        Submitted ICD-O-3 or OncoTree code.
    findings : tuple
        Parsed :class:`classifier.findings.Finding` objects.
    values : numpy.ndarray of float32
        Beta values, NaN where not measured.
    ids : list of str, pyarrow.Array or None
        Probe ids in the order of ``values``; ``None`` when ``values`` follow
        the canonical order of ``array``.
    array : ArrayType or None
        Manifest array whose canonical probe order ``values`` follow (when
        ``ids`` is None).
    ids_field : str
        Body field the ids came from: ``"betas"`` (keys of an object),
        ``"probe_ids"``, or ``""`` for manifest order; locates id errors.
    model_order : bool
        ``values`` follow the served model's own CpG list (binary form only).
    n_rejected : int
        Values not used: null (failed probe) or NaN in the binary form; the
        number of NaNs in ``values`` (the fingerprint relies on it).
    """

    index: int
    sample_id: str
    diagnosis: str | None
    findings: tuple
    values: np.ndarray
    ids: Any = None
    array: ArrayType | None = None
    ids_field: str = "probe_ids"
    model_order: bool = False
    n_rejected: int = 0
    diagnosis_code: DiagnosisCode | None = None

    @property
    def loc(self) -> Loc:
        """Location of this profile in the body."""
        return ("profiles", self.index)

    @property
    def values_field(self) -> str:
        """Body field holding the values."""
        return "betas" if self.ids_field == "betas" else "values"


@dataclass(frozen=True)
class ReadProfiles:
    """The profiles of a request as read, and the checks of their values still to run.

    Attributes
    ----------
    profiles : list of ProfileInput
        In request order.
    check_values : callable
        Raises :class:`~api.frame.errors.InputError` for a value out of range (the
        Arrow form defers this check; a JSON body is checked while parsed).
    """

    profiles: list[ProfileInput]
    check_values: Callable[[], None]


def check_batch_size(n: int, max_batch: int) -> None:
    """Refuse an empty batch (422) or one larger than ``MAX_BATCH`` (413)."""
    if n == 0:
        raise InputError(
            "'profiles' is empty; send at least one profile",
            loc=("profiles",),
            type="empty_batch",
        )
    if n > max_batch:
        raise InputError(
            f"{n:,} profiles in one request; at most {max_batch:,} (MAX_BATCH) are accepted",
            loc=("profiles",),
            type="batch_too_large",
            status_code=413,
        )


def refuse_unknown_fields(fields: Any, known: Sequence[str], loc: Loc, what: str) -> None:
    """Refuse the first of ``fields`` that is not in ``known`` (422 ``extra_forbidden``).

    Parameters
    ----------
    fields : iterable of str
        The keys of an object (or the columns of a table) as sent.
    known : sequence of str
        The accepted names, in the order the message lists them.
    loc : tuple
        Location of the object; the error is located at the unknown field.
    what : str
        The object in words, e.g. ``"a profile"``.
    """
    unknown = next((name for name in fields if name not in known), None)
    if unknown is not None:
        raise InputError(
            f"unknown field {quoted(unknown)}: {what} has only "
            + ", ".join(f"'{name}'" for name in known),
            loc=(*loc, unknown),
            type="extra_forbidden",
        )


def parse_findings_at(raw: Any, loc: Loc) -> tuple:
    """Parse a profile's findings list, locating errors under ``loc``."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError(
            f"'findings' must be a list of finding objects, got {value_kind(raw)}",
            loc=(*loc, "findings"),
            type="invalid_type",
        )
    # The text rule and the bounds first, whatever kinds of finding the domain knows.
    check_finding_texts(raw, loc)
    try:
        return tuple(parse_findings(raw))
    except ClassifierError as exc:
        raise from_domain_error(exc, loc) from None


def parse_diagnosis_code_at(raw: Any, loc: Loc) -> DiagnosisCode | None:
    """Parse a profile's ``diagnosis_code`` object, locating errors under ``loc``."""
    try:
        return parse_diagnosis_code(raw)
    except ClassifierError as exc:
        raise from_domain_error(exc, loc) from None


#: The fields of a JSON profile. Any other is refused (``extra_forbidden``):
#: a misspelt ``finding`` would otherwise drop the molecular evidence unseen.
PROFILE_FIELDS = (
    "sample_id",
    "diagnosis",
    "diagnosis_code",
    "findings",
    "betas",
    "probe_ids",
    "values",
    "array",
)
