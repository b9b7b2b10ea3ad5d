"""Classify a request's profiles and store the results: shared by the API and the submit page.

The CPU work (parsing, alignment, classification, input hashes) runs in a
worker thread under the CPU limiter; the database write runs in another
worker thread outside it, so that a slow database never holds the CPU.
The results are stored before the response is written: an accepted
request always has its rows (see :mod:`api.store.repository`).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

import anyio.to_thread
from anyio import CapacityLimiter

from api.alignment import ProfileQc
from api.body import BodyFormat
from api.model_loader import ServedModel
from api.pipeline import ClassifyJob, classify_profiles
from api.profiles import ProfileInput
from api.results import ResultOptions, model_ref
from api.settings import Settings
from api.store import NewResult, ResultStore, StoredResult, input_sha256, values_sha256

__all__ = ["classify_and_store", "prepare_results"]

# One thread: fingerprints of the request being classified (see prepare_results).
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="values-sha256")


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
    than the classification) is computed in another thread: hashlib releases
    the GIL, and the service has a second core. Values in a named order
    are hashed as soon as they are read; an id list is hashed once alignment
    has told whether it is an array's canonical order.
    """
    sha = model.info.cpgs_sha256
    hashing: list[Future[dict[int, str]]] = []

    def hash_named_orders(profiles: list[ProfileInput]) -> None:
        # A profile without ids follows its named order whatever alignment says.
        named = [(p, None) for p in profiles if p.ids is None]
        if named:
            hashing.append(_HASHER.submit(_values_hashes, named, sha))

    def hash_id_lists(profiles: list[ProfileInput], qcs: list[ProfileQc]) -> None:
        listed = [
            (p, qc.canonical_order)
            for p, qc in zip(profiles, qcs, strict=True)
            if p.ids is not None
        ]
        if listed:
            hashing.append(_HASHER.submit(_values_hashes, listed, sha))

    batch = classify_profiles(model, job, on_parsed=hash_named_orders, on_aligned=hash_id_lists)
    values_hashes: dict[int, str] = {}
    for future in hashing:
        values_hashes.update(future.result())
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


def _values_hashes(
    profiles: Sequence[tuple[ProfileInput, str | None]], cpgs_sha256: str
) -> dict[int, str]:
    """``values_sha256`` of each (profile, canonical order), by profile index."""
    return {
        profile.index: values_sha256(profile, cpgs_sha256, order) for profile, order in profiles
    }
