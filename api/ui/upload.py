"""Turning the submit page's file and fields into a ``POST /v1/classify`` JSON body.

Accepted files:

* CSV or TSV (comma, tab or semicolon separated) with a header line, one
  probe per line: a probe id column (``probe_id``, ``ID_REF``, ``IlmnID``,
  ... or the first column) and one beta value column (``beta``, ``value``,
  ... or the only other column). Empty cells and ``NA``/``NaN``/``null``
  mean "not measured"; blank lines and lines starting with ``#`` are
  skipped. Errors name the line as an editor numbers it (every physical
  line counts, skipped ones too).
* JSON in the ``/v1/classify`` format with exactly one profile.

The form's sample id, diagnosis and findings complete a JSON file: one the
file gives too, differently, is refused (naming it) rather than replacing
the file's, so that no finding is ever dropped unseen. Everything else is
checked by the classification pipeline, exactly as for the API.
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pandas as pd
from fastapi import HTTPException, Request
from starlette.datastructures import UploadFile as StarletteUploadFile
from starlette.formparsers import MultiPartException

from api.frame.body_timeout import BodyTimeout
from api.frame.errors import InputError
from api.intake.repeated_keys import refuse_repeated_keys
from api.intake.text_rules import MAX_TEXT_LENGTH

__all__ = [
    "ClassifyBody",
    "FormFindings",
    "Submission",
    "UploadError",
    "classify_body",
    "findings_of",
    "read_submission",
]

_ID_COLUMNS = ("probe_id", "probe_ids", "id_ref", "ilmnid", "targetid", "probe", "cpg", "id")
_VALUE_COLUMNS = ("beta", "betas", "beta_value", "value", "values", "avg_beta")
_SEPARATORS = (b"\t", b",", b";")
_FORM_OVERHEAD = 16 * 1024  # the other fields and the multipart framing
_FINDING_FIELDS = (
    "fusion",
    "fusion_method",
    "fusion_result",
    "break_apart_gene",
    "break_apart_result",
    "ihc_marker",
    "ihc_epitope",
    "ihc_result",
)
_FIELDS = ("sample_id", "diagnosis", "csrf_token", *_FINDING_FIELDS)
_LABELS = {"sample_id": "sample id", "diagnosis": "diagnosis", "findings": "findings"}
# A line starting with one of these may be blank or a comment: looked at one by one.
_DOUBTFUL_STARTS = np.frombuffer(b" \t\f\v#", dtype=np.uint8)
_SKIPPED_LINES = re.compile(rb"[#\n]*")


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
    """

    content: bytes
    filename: str
    sample_id: str
    diagnosis: str
    findings: FormFindings
    csrf_token: str


@dataclass(frozen=True)
class ClassifyBody:
    """The ``/v1/classify`` JSON body of one profile, and the file's line of each probe.

    Attributes
    ----------
    body : bytes
    lines : numpy.ndarray or None
        For a table, the 1-based line of the file (as an editor numbers
        it) of each probe, in the order of ``probe_ids``; ``None`` for JSON.
    """

    body: bytes
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
    ihc_marker: str = ""
    ihc_epitope: str = ""
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
                "kind": "break_apart",
                "gene": form.break_apart_gene.strip().upper(),
                "method": "fish",
                "result": form.break_apart_result,
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
        findings.append(stain)
    return findings


def classify_body(
    content: bytes,
    filename: str,
    *,
    sample_id: str,
    diagnosis: str,
    findings: list[dict[str, Any]],
) -> ClassifyBody:
    """Build the JSON body of one profile from an uploaded file and the form's fields.

    Raises
    ------
    UploadError
        If the file is empty, not readable as CSV/TSV/JSON, or lacks a sample id.
    """
    if not content.strip():
        raise UploadError("the file is empty; choose a CSV, TSV or JSON file with beta values")
    lines = None
    if filename.lower().endswith(".json") or content.lstrip()[:1] in (b"{", b"["):
        profile = _json_profile(content)
    else:
        profile, lines = _table_profile(content)
    form = {"sample_id": sample_id.strip(), "diagnosis": diagnosis.strip(), "findings": findings}
    profile |= _form_fields(profile, form)
    if not str(profile.get("sample_id") or "").strip():
        raise UploadError("enter the sample or accession id")
    return ClassifyBody(orjson.dumps({"profiles": [profile]}), lines)


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


def _not_utf8(text: bytes) -> UploadError:
    """The error for a table that is not UTF-8, naming the line an editor shows."""
    # pandas' message gives an offset within its own buffer: decode again to locate it.
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = text.count(b"\n", 0, exc.start) + 1
        return UploadError(
            f"the table is not UTF-8 text (line {line} of the file holds the byte "
            f"0x{text[exc.start]:02X}); save it as UTF-8 and upload it again"
        )
    return UploadError("the table is not UTF-8 text; save it as UTF-8 and upload it again")


def _table_profile(content: bytes) -> tuple[dict[str, Any], np.ndarray]:
    text, lines = _data_lines(content)
    if lines.size == 0:
        raise UploadError("the file holds only blank and comment lines")
    header = _first_line(text)
    separator = max(_SEPARATORS, key=header.count)
    if header.count(separator) == 0:
        raise UploadError(
            "the file is neither JSON nor a table: expected a header line with a probe id "
            "column and a beta value column, separated by tabs, commas or semicolons"
        )
    try:
        # The skipped lines are all '#' now: pandas ignores them and still counts
        # them in its own messages ("Expected 2 fields in line 5").
        table = pd.read_csv(io.BytesIO(text), sep=separator.decode(), dtype=str, comment="#")
    except UnicodeDecodeError:
        raise _not_utf8(text) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise UploadError(f"the table cannot be read: {exc}") from None
    rows = lines[1:]
    if len(table) != rows.size:
        # Two lines read as one row: every later line number would be wrong.
        raise UploadError(
            "the table cannot be read: a quoted cell holds a line break (a probe id or "
            "beta value never does)"
        )
    id_column, value_column = _columns(list(table.columns))
    ids = table[id_column].fillna("").str.strip()
    raw = table[value_column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & ~raw.str.strip().str.lower().isin({"", "na", "nan", "null"})
    if bad.any():
        line = rows[np.flatnonzero(bad.to_numpy())[0]]
        raise UploadError(
            f"line {line}: the beta value {str(raw[bad].iloc[0])[:20]!r} of column "
            f"'{value_column}' is not a number"
        )
    infinite = np.isinf(values.to_numpy(dtype=float))
    if infinite.any():
        # orjson would write it as null, "not measured": the API refuses it, and so does this page.
        first = int(np.flatnonzero(infinite)[0])
        raise UploadError(
            f"line {rows[first]}: the beta value {str(raw.iloc[first])[:20]!r} of column "
            f"'{value_column}' is not a finite number; leave the cell empty (or NA) for a "
            "probe that was not measured"
        )
    if (ids == "").any():
        line = rows[np.flatnonzero((ids == "").to_numpy())[0]]
        raise UploadError(f"line {line}: the probe id is empty")
    profile = {
        "probe_ids": ids.tolist(),
        "values": [None if np.isnan(v) else float(v) for v in values.to_numpy(dtype=float)],
    }
    return profile, rows


def _data_lines(content: bytes) -> tuple[bytes, np.ndarray]:
    """The table with its skipped lines filled with ``#``, and the numbers of the others.

    Line breaks become ``\\n`` (``\\r\\n`` and a lone ``\\r`` count as one, as in
    an editor), so that every line keeps its number. A line is skipped when
    it is blank or its first non-blank character is ``#``; it is filled with
    ``#`` rather than removed, so that pandas's line numbers stay the file's.
    Returns the 1-based numbers of the lines kept: the header, then the rows.
    """
    unix = content.removeprefix(codecs.BOM_UTF8).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    text = bytearray(unix)
    codes = np.frombuffer(unix, dtype=np.uint8)
    breaks = np.flatnonzero(codes == ord("\n"))
    starts = np.r_[0, breaks + 1]
    stops = np.r_[breaks, codes.size]
    filled = stops > starts
    first = np.zeros(starts.size, dtype=np.uint8)
    first[filled] = codes[starts[filled]]
    kept = filled & ~np.isin(first, _DOUBTFUL_STARTS)
    # Vectorised above; only the few lines starting with a blank or '#' are read here.
    for index in np.flatnonzero(filled & ~kept):
        start, stop = int(starts[index]), int(stops[index])
        line = unix[start:stop].strip()
        if line and not line.startswith(b"#"):
            kept[index] = True
        else:
            text[start:stop] = b"#" * (stop - start)
    return bytes(text), np.flatnonzero(kept) + 1


def _first_line(text: bytes) -> bytes:
    """The first line of :func:`_data_lines`'s text that is not skipped: the header."""
    start = _SKIPPED_LINES.match(text).end()  # type: ignore[union-attr]  # always matches
    stop = text.find(b"\n", start)
    return text[start : stop if stop >= 0 else len(text)]


def _columns(columns: list[str]) -> tuple[str, str]:
    if len(columns) < 2:
        raise UploadError("the table needs two columns: probe id and beta value")
    lowered = {c.strip().lower(): c for c in columns}
    id_column = next((lowered[n] for n in _ID_COLUMNS if n in lowered), columns[0])
    rest = [c for c in columns if c != id_column]
    value_column = next((lowered[n] for n in _VALUE_COLUMNS if n in lowered), None)
    if value_column is None:
        if len(rest) != 1:
            raise UploadError(
                f"the table has {len(rest)} value columns ({', '.join(map(str, rest[:5]))}); "
                "keep one, or name the beta value column 'beta'"
            )
        value_column = rest[0]
    return id_column, value_column
