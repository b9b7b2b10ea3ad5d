"""The work behind ``POST /v1/classify``: parse, align, check coverage, classify, answer.

It runs in a worker thread (see :mod:`api.routes.classify`) so that the
event loop keeps answering ``/health`` while a large profile is parsed. A
request is checked whole before anything is classified: one bad profile
refuses the batch with 4xx, naming the profile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import orjson

from api.classification.result_builder import ResultOptions, build_result, model_ref
from api.frame.errors import InputError
from api.frame.request_body import BodyFormat
from api.intake.arrow_body import read_arrow_body
from api.intake.json_body import parse_json_body
from api.intake.profile import ProfileInput, ReadProfiles
from api.served_model.alignment import AlignmentCache, ProfileQc
from api.served_model.loader import ServedModel

__all__ = [
    "ClassifiedBatch",
    "ClassifyJob",
    "classify_profiles",
    "classify_read",
    "read_profiles",
    "run_classify",
]


@dataclass(frozen=True)
class ClassifyJob:
    """One classify request, as the worker thread receives it.

    Attributes
    ----------
    body : bytes
    format : BodyFormat
    request_id : str
    max_batch : int
    min_cpg_fraction : float
        Share of the model's CpGs a profile must measure (for the message).
    min_cpgs : int
        The same as a count of this model's CpGs.
    options : ResultOptions
    observe : callable, optional
        Called with the list of results before they are written (the metrics).
    """

    body: bytes
    format: BodyFormat
    request_id: str
    max_batch: int
    min_cpg_fraction: float
    min_cpgs: int
    options: ResultOptions
    observe: Callable[[list[dict]], None] | None = None


@dataclass(frozen=True)
class ClassifiedBatch:
    """The profiles of a request, what alignment found, and their results, in request order."""

    profiles: list[ProfileInput]
    qcs: list[ProfileQc]
    results: list[dict]


def run_classify(model: ServedModel, job: ClassifyJob) -> bytes:
    """Classify every profile of a request and return the JSON response body (not stored).

    Raises
    ------
    InputError
        For any bad input, located at its field (see :mod:`api.frame.errors`).
    """
    batch = classify_profiles(model, job)
    return orjson.dumps(
        {"request_id": job.request_id, "results": batch.results},
        option=orjson.OPT_SERIALIZE_NUMPY,
    )


def read_profiles(model: ServedModel, job: ClassifyJob) -> ReadProfiles:
    """Read the profiles of a request; the values of an Arrow body are not yet range-checked.

    Work that needs only the input as sent, such as its fingerprint, can
    start on the profiles before :func:`classify_read` checks them.

    Raises
    ------
    InputError
        For bad input found while reading, located at its field.
    """
    if job.format is BodyFormat.ARROW:
        return read_arrow_body(job.body, job.max_batch, model.info.cpgs_sha256)
    return ReadProfiles(parse_json_body(job.body, job.max_batch), _checked_already)


def classify_profiles(model: ServedModel, job: ClassifyJob) -> ClassifiedBatch:
    """Parse, check and classify every profile of a request.

    Raises
    ------
    InputError
        For any bad input, located at its field (see :mod:`api.frame.errors`).
    """
    return classify_read(model, job, read_profiles(model, job))


def classify_read(
    model: ServedModel,
    job: ClassifyJob,
    read: ReadProfiles,
    on_aligned: Callable[[list[ProfileInput], list[ProfileQc]], None] | None = None,
) -> ClassifiedBatch:
    """Check, align and classify the profiles :func:`read_profiles` read.

    Parameters
    ----------
    model : ServedModel
    job : ClassifyJob
    read : ReadProfiles
    on_aligned : callable, optional
        Called with the profiles and their QC once every profile is aligned
        and checked, before classification.

    Raises
    ------
    InputError
        For any bad input, located at its field (see :mod:`api.frame.errors`).
    """
    read.check_values()
    profiles = read.profiles
    needed = job.min_cpgs
    matrix = np.empty((len(profiles), model.n_cpgs), dtype=np.float32)
    cache = AlignmentCache()
    qcs = []
    for i, profile in enumerate(profiles):
        row, qc = model.aligner.align(profile, cache)
        if qc.model_cpgs_present < needed:
            raise InputError(
                f"the profile measures {qc.model_cpgs_present:,} of the model's "
                f"{model.n_cpgs:,} CpGs; at least {needed:,} are needed "
                f"(MIN_CPG_FRACTION={job.min_cpg_fraction:g}). Send the model's CpGs "
                "(GET /v1/model/cpgs) or a whole array",
                loc=profile.loc,
                type="insufficient_coverage",
            )
        matrix[i] = row
        qcs.append(qc)
    if on_aligned is not None:
        on_aligned(profiles, qcs)
    calls = model.bundle.classify_aligned(matrix)
    ref = model_ref(model)
    results = [
        # call.embedding: where the case lies among the reference cohort (the map).
        build_result(profile, qc, call, model, job.options, ref, embedding=call.embedding)
        for profile, qc, call in zip(profiles, qcs, calls, strict=True)
    ]
    if job.observe is not None:
        job.observe(results)
    return ClassifiedBatch(profiles=profiles, qcs=qcs, results=results)


def _checked_already() -> None:
    """A JSON body's values were checked while it was parsed."""
