"""Turning the submit page's file and fields into a ``POST /v1/classify`` body.

Accepted files:

* CSV or TSV with a header line, one probe per line
  (:mod:`api.ui.profile_table`); it becomes an Arrow IPC body, so that a
  whole-array table is never written out and read back as 17 MB of JSON;
* JSON in the ``/v1/classify`` format with exactly one profile.

The form's sample id, diagnosis and findings complete a JSON file: one the
file gives too, differently, is refused (naming it) rather than replacing
the file's, so that no finding is ever dropped unseen. Everything else is
checked by the classification pipeline, exactly as for the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
from fastapi import HTTPException, Request
from starlette.datastructures import UploadFile as StarletteUploadFile
from starlette.formparsers import MultiPartException

from api.frame.body_timeout import BodyTimeout
from api.frame.errors import InputError
from api.frame.request_body import BodyFormat
from api.intake.repeated_keys import refuse_repeated_keys
from api.intake.text_rules import MAX_TEXT_LENGTH
from api.ui.profile_table import ProfileTable, TableError, read_profile_table

__all__ = [
    "ClassifyBody",
    "FormFindings",
    "Submission",
    "UploadError",
    "classify_body",
    "findings_of",
    "read_submission",
]

_FORM_OVERHEAD = 16 * 1024  # the other fields and the multipart framing
_FINDING_FIELDS = (
    "fusion",
    "fusion_method",
    "fusion_result",
    "break_apart_gene",
    "break_apart_result",
    "mutation_gene",
    "mutation_variant",
    "mutation_method",
    "mutation_result",
    "copy_gene",
    "copy_change",
    "copy_method",
    "copy_result",
    "ihc_marker",
    "ihc_epitope",
    "ihc_clone",
    "ihc_result",
)
_CODE_FIELDS = ("code_system", "code")
_FIELDS = ("sample_id", "diagnosis", "csrf_token", *_CODE_FIELDS, *_FINDING_FIELDS)
_LABELS = {
    "sample_id": "sample id",
    "diagnosis": "diagnosis",
    "diagnosis_code": "diagnosis code",
    "findings": "findings",
}


class UploadError(ValueError):
    """The uploaded file or a form field cannot be read; the message says why.

    Parameters
    ----------
    message : str
    status_code : int, default=422
        413 for a file over the size limit, 400 for a malformed form.
    """

    def __init__(self, message: str, status_code: int = 422) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class Submission:
    """What the submit form sent.

    Attributes
    ----------
    content : bytes
        The file.
    filename : str
    sample_id, diagnosis : str
    findings : FormFindings
    csrf_token : str
    code_system, code : str
        A coded diagnosis (ICD-O-3 or OncoTree); empty when not given.
    """

    content: bytes
    filename: str
    sample_id: str
    diagnosis: str
    findings: FormFindings
    csrf_token: str
    code_system: str = ""
    code: str = ""

    @property
    def diagnosis_code(self) -> dict[str, str] | None:
        """The ``diagnosis_code`` object of the body, or ``None`` when no code was typed."""
        if not self.code.strip():
            return None
        return {"system": self.code_system or "ICD-O-3", "code": self.code.strip()}


@dataclass(frozen=True)
class ClassifyBody:
    """The ``/v1/classify`` body of one profile, and the file's line of each probe.

    Attributes
    ----------
    body : bytes
    format : BodyFormat
        Arrow for a table, JSON for a JSON file.
    lines : numpy.ndarray or None
        For a table, the 1-based line of the file (as an editor numbers
        it) of each probe, in the order of ``probe_ids``; ``None`` for JSON.
    """

    body: bytes
    format: BodyFormat = BodyFormat.JSON
    lines: np.ndarray | None = None

    def line_of(self, index: int) -> int | None:
        """The file's line of probe ``index``, or ``None`` (JSON, or no such probe)."""
        if self.lines is None or not 0 <= index < self.lines.size:
            return None
        return int(self.lines[index])


@dataclass(frozen=True)
class FormFindings:
    """The submit form's simple finding fields (empty strings when not filled in)."""

    fusion: str = ""
    fusion_method: str = "rna_ngs"
    fusion_result: str = "detected"
    break_apart_gene: str = ""
    break_apart_result: str = "rearranged"
    mutation_gene: str = ""
    mutation_variant: str = ""
    mutation_method: str = "dna_ngs"
    mutation_result: str = "detected"
    copy_gene: str = ""
    copy_change: str = "amplification"
    copy_method: str = "fish"
    copy_result: str = "detected"
    ihc_marker: str = ""
    ihc_epitope: str = ""
    ihc_clone: str = ""
    ihc_result: str = "positive"


async def read_submission(request: Request, max_bytes: int) -> Submission:
    """Read the submit form, refusing a body over ``max_bytes`` before reading it.

    Raises
    ------
    UploadError
        413 over the limit (or without a length), 400 for a malformed form,
        422 without a file.
    """
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > max_bytes + _FORM_OVERHEAD:
        raise UploadError(
            f"the file is larger than this service accepts ({max_bytes / 2**20:.0f} MiB, "
            "MAX_BODY_BYTES)",
            status_code=413,
        )
    try:
        form = await request.form(max_files=1, max_fields=30)
    except BodyTimeout as exc:
        raise UploadError(exc.message, status_code=exc.status_code) from None
    except (MultiPartException, HTTPException) as exc:
        raise UploadError(f"the form cannot be read: {exc}", status_code=400) from None
    upload = form.get("profile_file")
    if not isinstance(upload, StarletteUploadFile) or not upload.filename:
        raise UploadError("choose a profile file (CSV, TSV or JSON)")
    text = {name: str(form.get(name) or "") for name in _FIELDS}
    for name, value in text.items():
        # Refused as the API refuses it (422 too_long), not cut short and stored so.
        if len(value.strip()) > MAX_TEXT_LENGTH:
            label = _LABELS.get(name, name.replace("_", " "))
            raise UploadError(f"the {label} is longer than {MAX_TEXT_LENGTH} characters")
    findings = FormFindings(**{f: text[f] for f in _FINDING_FIELDS if text[f]})
    return Submission(
        content=await upload.read(),
        filename=upload.filename,
        sample_id=text["sample_id"],
        diagnosis=text["diagnosis"],
        findings=findings,
        csrf_token=text["csrf_token"],
        code_system=text["code_system"],
        code=text["code"],
    )


def findings_of(form: FormFindings) -> list[dict[str, Any]]:
    """The findings list of ``/v1/classify`` for the filled-in fields."""
    findings: list[dict[str, Any]] = []
    if form.fusion.strip():
        findings.append(
            {
                "kind": "fusion",
                "name": form.fusion.strip(),
                "method": form.fusion_method,
                "result": form.fusion_result,
            }
        )
    if form.break_apart_gene.strip():
        findings.append(
            {
                "kind": "rearrangement",
                "gene": form.break_apart_gene.strip().upper(),
                "method": "fish",
                "result": form.break_apart_result,
            }
        )
    if form.mutation_gene.strip():
        mutation = {
            "kind": "mutation",
            "gene": form.mutation_gene.strip().upper(),
            "method": form.mutation_method,
            "result": form.mutation_result,
        }
        if form.mutation_variant.strip():
            mutation["variant"] = form.mutation_variant.strip()
        findings.append(mutation)
    if form.copy_gene.strip():
        findings.append(
            {
                "kind": "copy_number",
                "gene": form.copy_gene.strip().upper(),
                "change": form.copy_change,
                "method": form.copy_method,
                "result": form.copy_result,
            }
        )
    if form.ihc_marker.strip():
        stain: dict[str, Any] = {
            "kind": "ihc",
            "marker": form.ihc_marker.strip(),
            "result": form.ihc_result,
        }
        if form.ihc_epitope:
            stain["epitope"] = form.ihc_epitope
        if form.ihc_clone.strip():
            stain["clone"] = form.ihc_clone.strip()
        findings.append(stain)
    return findings


def classify_body(
    content: bytes,
    filename: str,
    *,
    sample_id: str,
    diagnosis: str,
    findings: list[dict[str, Any]],
    diagnosis_code: dict[str, str] | None = None,
) -> ClassifyBody:
    """Build the ``/v1/classify`` body of one profile from an uploaded file and the form's fields.

    Raises
    ------
    UploadError
        If the file is empty, not readable as CSV/TSV/JSON, or lacks a sample id.
    """
    if not content.strip():
        raise UploadError("the file is empty; choose a CSV, TSV or JSON file with beta values")
    form = {
        "sample_id": sample_id.strip(),
        "diagnosis": diagnosis.strip(),
        "diagnosis_code": diagnosis_code,
        "findings": findings,
    }
    if filename.lower().endswith(".json") or content.lstrip()[:1] in (b"{", b"["):
        profile = _json_profile(content)
        profile |= _form_fields(profile, form)
        _require_sample_id(profile)
        return ClassifyBody(orjson.dumps({"profiles": [profile]}))
    try:
        table = read_profile_table(content)
    except TableError as exc:
        raise UploadError(str(exc)) from None
    given = _form_fields({}, form)
    _require_sample_id(given)
    return ClassifyBody(_arrow_body(given, table), BodyFormat.ARROW, table.lines)


def _require_sample_id(profile: dict[str, Any]) -> None:
    if not str(profile.get("sample_id") or "").strip():
        raise UploadError("enter the sample or accession id")


def _arrow_body(fields: dict[str, Any], table: ProfileTable) -> bytes:
    """One profile as an Arrow IPC stream of the ``/v1/classify`` form."""
    offsets = pa.array([0, len(table.ids)], pa.int32())
    columns = {
        "sample_id": pa.array([fields["sample_id"]], pa.string()),
        "diagnosis": pa.array([fields.get("diagnosis") or None], pa.string()),
        "diagnosis_code": pa.array([_json_text(fields.get("diagnosis_code"))], pa.string()),
        "findings": pa.array([_json_text(fields.get("findings"))], pa.string()),
        "probe_ids": pa.ListArray.from_arrays(offsets, table.ids),
        "values": pa.ListArray.from_arrays(offsets, pa.array(table.values, pa.float64())),
    }
    arrow = pa.table(columns)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    return sink.getvalue().to_pybytes()


def _json_text(value: Any) -> str | None:
    """An Arrow text cell holding ``value`` as JSON (``None`` for nothing given)."""
    return orjson.dumps(value).decode() if value else None


def _form_fields(profile: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    """The form's filled-in fields, refusing any the file gives with another value.

    Replacing the file's value would drop it without a word (e.g. its FISH
    and IHC findings for the form's fusion); the same value twice is no conflict.
    """
    given = {name: value for name, value in form.items() if value}
    twice = [name for name, value in given.items() if _file_value(profile, name) not in ("", value)]
    if twice:
        labels = [_LABELS[name] for name in twice]
        names = ", ".join(labels[:-1]) + " and " + labels[-1] if len(labels) > 1 else labels[0]
        them = "them" if len(twice) > 1 or twice == ["findings"] else "it"
        raise UploadError(
            f"the file already gives the {names}; leave the form's {names} empty, "
            f"or remove {them} from the file"
        )
    return given


def _file_value(profile: dict[str, Any], name: str) -> Any:
    value = profile.get(name)
    if isinstance(value, str):
        value = value.strip()
    return "" if value is None or value == [] else value


def _json_profile(content: bytes) -> dict[str, Any]:
    try:
        doc = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise UploadError(f"the file is not valid JSON ({exc})") from None
    try:
        refuse_repeated_keys(content, doc)
    except InputError as exc:
        where = ".".join(str(part) for part in exc.loc)
        raise UploadError(f"the file is refused at {where}: {exc.msg}") from None
    profiles = doc.get("profiles") if isinstance(doc, dict) else None
    if not isinstance(profiles, list) or not profiles:
        raise UploadError('a JSON file must be a /v1/classify request body: {"profiles": [{...}]}')
    if len(profiles) != 1 or not isinstance(profiles[0], dict):
        raise UploadError(
            f"the file holds {len(profiles)} profiles; this page classifies one at a time "
            "(send batches to POST /v1/classify)"
        )
    return dict(profiles[0])
