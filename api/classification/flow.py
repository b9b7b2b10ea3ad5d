"""Classify a request's profiles and store the results: shared by the API and the submit page.

The CPU work (parsing, alignment, classification, input hashes) runs in a
worker thread under the CPU limiter; the database write runs in another
worker thread outside it, so that a slow database never holds the CPU.
The results are stored before the response is written: an accepted
request always has its rows (see :mod:`api.store.repository`).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from api.classification.batch import ClassifyJob, classify_read, read_profiles
from api.classification.input_fingerprint import input_sha256, nans_canonical_of, values_sha256
from api.classification.result_builder import ResultOptions, model_ref
from api.frame.request_body import BodyFormat
from api.intake.profile import ProfileInput
from api.served_model.alignment import CanonicalForm, ProfileQc
from api.served_model.loader import ServedModel
from api.settings import Settings
from api.store import NewResult, ResultStore, StoredResult

__all__ = ["classify_and_store", "prepare_results"]

T = TypeVar("T")

# The second core's thread: the work that runs beside this request's hash (see prepare_results).
_BESIDE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="classify-beside")


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
        model=model_ref(model),
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
    items = []
    for profile, result in zip(batch.profiles, batch.results, strict=True):
        values_hash = values_hashes[profile.index]
        items.append(
            NewResult(
                accession=profile.sample_id,
                values_sha256=values_hash,
                input_sha256=input_sha256(
                    values_hash, profile.diagnosis, profile.findings, options
                ),
                result=result,
            )
        )
    return items


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
