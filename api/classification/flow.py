"""Classifying a request: read its profiles, align and check them, classify, store the results.

One path, shared by ``POST /v1/classify`` and the submit page:
:func:`classify_and_store` runs :func:`prepare_results` (the CPU work:
:func:`read_profiles`, :func:`classify_read` and the input hashes) in a
worker thread under the CPU limiter, so that the event loop keeps answering
``/health`` while a large profile is parsed; then the database write in
another worker thread outside the limiter, so that a slow database never
holds the CPU. A request is checked whole before anything is classified:
one bad profile refuses the batch with 4xx, naming the profile. The results
are stored before the response is written: an accepted request always has
its rows (see :mod:`api.store.repository`).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
import numpy as np
from anyio import CapacityLimiter

from api.classification.input_fingerprint import input_sha256, nans_canonical_of, values_sha256
from api.classification.result_builder import ResultOptions, build_result, model_ref
from api.contract.profile_result import ProfileResult
from api.frame.errors import InputError
from api.frame.request_body import BodyFormat
from api.intake.arrow_body import read_arrow_body
from api.intake.json_body import parse_json_body
from api.intake.profile import ProfileInput, ReadProfiles
from api.served_model.alignment import AlignmentCache, CanonicalForm, ProfileQc
from api.served_model.loader import ServedModel
from api.settings import Settings
from api.store import NewResult, ResultStore, StoredResult

__all__ = [
    "ClassifiedBatch",
    "ClassifyJob",
    "classify_and_store",
    "classify_read",
    "prepare_results",
    "read_profiles",
]

T = TypeVar("T")

# The second core's thread: the work that runs beside this request's hash (see prepare_results).
_BESIDE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="classify-beside")


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
        Called with the results, as JSON, before they are stored (the metrics).
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
    results: list[ProfileResult]


async def classify_and_store(
    *,
    store: ResultStore,
    model: ServedModel,
    settings: Settings,
    limiter: CapacityLimiter,
    body: bytes,
    fmt: BodyFormat,
    options: ResultOptions,
    request_id: str,
    client: str | None,
    route: str,
    observe=None,
) -> list[StoredResult]:
    """Classify every profile of ``body`` and store the results; return them in order.

    Raises
    ------
    InputError
        For bad input (nothing is stored).
    """
    job = ClassifyJob(
        body=body,
        format=fmt,
        request_id=request_id,
        max_batch=settings.max_batch,
        min_cpg_fraction=settings.min_cpg_fraction,
        min_cpgs=settings.min_cpgs(model.n_cpgs),
        options=options,
        observe=observe,
    )
    items = await anyio.to_thread.run_sync(prepare_results, model, job, limiter=limiter)
    record = partial(
        store.record,
        request_id=request_id,
        client=client,
        route=route,
        model=model_ref(model).model_dump(mode="json"),
        items=items,
    )
    return await anyio.to_thread.run_sync(record)


def prepare_results(model: ServedModel, job: ClassifyJob) -> list[NewResult]:
    """Classify a request's profiles and fingerprint their inputs (worker thread).

    The SHA-256 of the values (3.5 MB for an EPIC profile, ~3 ms: longer
    than the classification) runs beside the classification, on the
    service's second core: hashlib releases the GIL while it hashes.

    Values in a named order are hashed as soon as they are read, in this
    thread, while the other thread checks and classifies them. This way
    round because this thread holds the GIL: it lets go of it as the hash
    starts, and the classification, which needs it most of the time, runs
    at once (the other way round, the hash waited ~1 ms for the GIL to
    start). Whether their NaNs must be rewritten before hashing is also
    asked on the other thread: the values are hashed as sent meanwhile, and
    hashed again only for a profile whose NaNs are not all canonical.
    An id list is hashed on the other thread once alignment has given its
    canonical form (the order in which it is hashed).
    """
    sha = model.info.cpgs_sha256
    hashing: list[Future[dict[int, str]]] = []

    def hash_id_lists(profiles: list[ProfileInput], qcs: list[ProfileQc]) -> None:
        listed = [
            (p, qc.canonical) for p, qc in zip(profiles, qcs, strict=True) if p.ids is not None
        ]
        if listed:
            hashing.append(_beside(_values_hashes, listed, sha))

    try:
        read = read_profiles(model, job)
        # A profile without ids follows its named order whatever alignment says.
        named = [p for p in read.profiles if p.ids is None]
        values_hashes: dict[int, str] = {}
        if named:
            rehash = _beside(_with_noncanonical_nans, named)
            classifying = _beside(classify_read, model, job, read, hash_id_lists)
            try:
                for profile in named:
                    if classifying.done() and classifying.exception() is not None:
                        break  # the checks refused the body: no need to hash the rest
                    values_hashes[profile.index] = values_sha256(profile, sha, nans_canonical=True)
                for profile in rehash.result():
                    values_hashes[profile.index] = values_sha256(profile, sha, nans_canonical=False)
            finally:
                # Waited for even if hashing failed; an input error found by the
                # checks is raised here.
                batch = classifying.result()
        else:
            batch = classify_read(model, job, read, on_aligned=hash_id_lists)
        for future in hashing:
            values_hashes.update(future.result())
    finally:
        # Nothing of this request is left running once it has failed.
        wait(hashing)
    options = {"top": job.options.top, "raw_scores": job.options.raw_scores}
    # Only what the builder set: the store adds result_id and stored, a correction review.
    results = [result.model_dump(mode="json", exclude_unset=True) for result in batch.results]
    if job.observe is not None:
        job.observe(results)
    items = []
    for profile, result in zip(batch.profiles, results, strict=True):
        values_hash = values_hashes[profile.index]
        items.append(
            NewResult(
                accession=profile.sample_id,
                values_sha256=values_hash,
                input_sha256=input_sha256(
                    values_hash,
                    profile.diagnosis,
                    profile.findings,
                    options,
                    diagnosis_code=profile.diagnosis_code,
                ),
                result=result,
            )
        )
    return items


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
    return ClassifiedBatch(profiles=profiles, qcs=qcs, results=results)


def _checked_already() -> None:
    """A JSON body's values were checked while it was parsed."""


def _beside(fn: Callable[..., T], *args: Any) -> Future[T]:
    """Run ``fn`` on the second thread, in this thread's context (its request id, for the log)."""
    return _BESIDE.submit(contextvars.copy_context().run, fn, *args)


def _values_hashes(
    profiles: Sequence[tuple[ProfileInput, CanonicalForm | None]], cpgs_sha256: str
) -> dict[int, str]:
    """``values_sha256`` of each (profile, canonical form), by profile index."""
    return {
        profile.index: values_sha256(profile, cpgs_sha256, order) for profile, order in profiles
    }


def _with_noncanonical_nans(profiles: Sequence[ProfileInput]) -> list[ProfileInput]:
    """The profiles whose NaNs do not all have the canonical bits (rare)."""
    return [profile for profile in profiles if not nans_canonical_of(profile)]
