"""OpenAPI text and examples of ``POST /v1/classify``.

The route parses its body itself (see :mod:`api.intake.json_body`), so the request
schema is declared here through ``openapi_extra`` for both media types.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from api.contract.error_body import ErrorResponse
from api.contract.profile_result import ClassifyRequest
from api.frame.request_body import ARROW_MEDIA_TYPE, JSON_MEDIA_TYPE


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """JSON schema of a model with its ``$defs`` inlined, for ``openapi_extra``."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


__all__ = ["CLASSIFY_DESCRIPTION", "CLASSIFY_OPENAPI_EXTRA", "ERROR_RESPONSES", "inline_schema"]

CLASSIFY_DESCRIPTION = """\
Classify one profile or a batch. Results come back in request order.

**JSON** (`Content-Type: application/json`): `{"profiles": [...]}`, each profile with
`sample_id`, optional `diagnosis` (free text as pathologists write it, a class code,
or an ICD-O-3 morphology code), optional `diagnosis_code` (`{"system": "ICD-O-3" |
"OncoTree", "code": ...}`) and `findings`, and its beta values in one of three forms:

* `betas`: object probe id -> beta (`{"cg00000029": 0.12, ...}`);
* `probe_ids` + `values`: parallel arrays (faster to parse for a whole array);
* `array` (`450k`, `epic`, `epicv2`) + `values`: values in that array's canonical
  manifest order (fastest JSON form).

`null` means "not measured" (failed probe). NaN/Infinity, strings, booleans and values
outside [0, 1] are refused with 422 naming the field. EPICv2 ids keep their suffix
(`cg00000029_TC21`); replicate probes of one CpG are averaged.

**Arrow** (`Content-Type: application/vnd.apache.arrow.stream`): an Arrow IPC stream,
one row per profile, columns `sample_id` (string), optional `diagnosis` (string),
`diagnosis_code` (string holding the JSON object) and `findings` (string holding the
JSON list), `values` (list<float32>; null or NaN = not
measured) and optional `probe_ids` (list<string>). Without `probe_ids`, the schema
metadata key `array` names the order of `values`: `450k`, `epic` or `epicv2` (the
manifest's canonical order) or `model` (the model's CpG list from `GET /v1/model/cpgs`,
with metadata `cpgs_sha256` equal to the model card's). A whole EPIC profile is 3.5 MB
and is classified in a few milliseconds. See docs/api.md for a Python client.

**Findings** (one object per test, kinds `fusion`, `rearrangement` (`break_apart` is
its old name), `mutation`, `copy_number`, `ihc`; gene symbols checked against HGNC)
are each weighed for the call (`specific_support`, `compatible`, `neutral`,
`weak_against`, `strong_against`, with the reason) in
`fusion_consistency.evidence`; the status is `confirmed`, `consistent`, `discordant`
(needs review), `inconsistent` or `not_assessed`. The verdict against the diagnosis is
`confirmed`, `family_concordant`, `reclassified`, `not_classifiable` or
`diagnosis_unrecognised`.

A profile must measure at least `MIN_CPG_FRACTION` of the model's CpGs to be
classified; below `MIN_VERDICT_COVERAGE` (or the bundle's own minimum), or out of
distribution, its call is withheld: decision `no_match`, verdict `not_classifiable`
with the reason. One bad
profile refuses the whole request (4xx naming it); limits: `MAX_BODY_BYTES` (413,
enforced while reading), `MAX_BATCH` profiles (413).
"""

_FINDINGS_EXAMPLE = [
    {"kind": "fusion", "genes": ["EWSR1", "WT1"], "method": "rna_ngs", "result": "detected"},
    {"kind": "ihc", "marker": "WT1", "epitope": "N-terminal", "result": "negative"},
]
_MIXED_FINDINGS_EXAMPLE = [
    {"kind": "rearrangement", "gene": "EWSR1", "method": "fish", "result": "rearranged"},
    {"kind": "ihc", "marker": "WT1", "epitope": "C-terminal", "result": "positive"},
    {"kind": "ihc", "marker": "desmin", "pattern": "dot-like", "result": "positive"},
    {"kind": "copy_number", "gene": "MDM2", "change": "amplification", "method": "fish",
     "result": "not_detected"},
    {"kind": "mutation", "gene": "TP53", "variant": "p.R273H", "method": "dna_ngs",
     "result": "detected"},
]  # fmt: skip

_EXAMPLES: dict[str, Any] = {
    "object": {
        "summary": "One profile, betas as an object (truncated)",
        "value": {
            "profiles": [
                {
                    "sample_id": "S-2024-0117",
                    "diagnosis": "desmoplastic small round cell tumour",
                    "findings": _FINDINGS_EXAMPLE,
                    "betas": {"cg00000029": 0.12, "cg00000108": 0.91, "cg00000109": None},
                }
            ]
        },
    },
    "arrays": {
        "summary": "One profile, parallel arrays (truncated)",
        "value": {
            "profiles": [
                {
                    "sample_id": "S-2024-0118",
                    "diagnosis": "Ewing sarcoma",
                    "findings": [
                        {
                            "kind": "break_apart",
                            "gene": "EWSR1",
                            "method": "fish",
                            "result": "rearranged",
                        }
                    ],
                    "probe_ids": ["cg00000029_TC21", "cg00000108_BC21", "cg00000109_TC21"],
                    "values": [0.12, 0.91, None],
                }
            ]
        },
    },
    "mixed_evidence": {
        "summary": "Mixed evidence and a coded diagnosis (truncated)",
        "value": {
            "profiles": [
                {
                    "sample_id": "S-2024-0120",
                    "diagnosis": "favour desmoplastic small round cell tumour",
                    "diagnosis_code": {"system": "ICD-O-3", "code": "8806/3"},
                    "findings": _MIXED_FINDINGS_EXAMPLE,
                    "betas": {"cg00000029": 0.12, "cg00000108": 0.91, "cg00000109": None},
                }
            ]
        },
    },
    "manifest_order": {
        "summary": "Values in the EPIC manifest order (truncated)",
        "value": {
            "profiles": [
                {"sample_id": "S-2024-0119", "array": "epic", "values": [0.12, 0.91, None]}
            ]
        },
    },
}

CLASSIFY_OPENAPI_EXTRA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            JSON_MEDIA_TYPE: {"schema": inline_schema(ClassifyRequest), "examples": _EXAMPLES},
            ARROW_MEDIA_TYPE: {
                "schema": {
                    "type": "string",
                    "format": "binary",
                    "description": "Arrow IPC stream, one row per profile (see the description).",
                }
            },
        },
    },
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Malformed JSON or Arrow body."},
    413: {
        "model": ErrorResponse,
        "description": "Body over MAX_BODY_BYTES or batch over MAX_BATCH.",
    },
    415: {"model": ErrorResponse, "description": "Content-Type is neither JSON nor Arrow stream."},
    422: {
        "model": ErrorResponse,
        "description": "A field is invalid: named in `detail[].field`, with a stable `type`.",
        "content": {
            JSON_MEDIA_TYPE: {
                "example": {
                    "detail": [
                        {
                            "loc": ["body", "profiles", 0, "values", 17],
                            "field": "profiles[0].values[17]",
                            "msg": "beta value 1.7 is outside [0, 1]",
                            "type": "value_out_of_range",
                        }
                    ],
                    "request_id": "4be0643f1d98573b97cdca98a65347dd",
                }
            }
        },
    },
    503: {"model": ErrorResponse, "description": "No model loaded yet."},
}
