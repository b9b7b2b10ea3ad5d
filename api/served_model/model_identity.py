"""What identifies the model and the probe manifest behind a result.

A model's name and version do not identify it: every bundle trained
without the registry is version ``unregistered``, and a retrained bundle
may be copied over the old one. :func:`model_fingerprint` therefore hashes
what the trained bundle itself holds (identity, thresholds, provenance with
its creation time and training-data hash, the CpG list and the learned
training medians); it is part of the idempotency key of the result store.
:func:`manifest_sha256` names the probe manifest that aligned the profile.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from typing import Protocol

import numpy as np
import orjson

from classifier.bundle import ModelBundle

__all__ = ["MANIFEST_FILES", "manifest_sha256", "model_fingerprint"]


class _ModelInfo(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def run_id(self) -> str | None: ...

    @property
    def cpgs_sha256(self) -> str: ...


class LoadedModel(Protocol):
    """A model as the service loaded it (:class:`api.served_model.loader.ServedModel`)."""

    @property
    def info(self) -> _ModelInfo: ...

    @property
    def bundle(self) -> ModelBundle: ...


#: The packaged files that make up the probe manifest (see :mod:`classifier.manifest`).
MANIFEST_FILES: tuple[str, ...] = ("probe_manifest.parquet", "epicv2_probe_ids.parquet")


@cache
def manifest_sha256() -> str:
    """SHA-256 naming the packaged probe manifest (read once, then cached).

    The SHA-256 of the lines ``<file name>:<SHA-256 of the file>`` of
    :data:`MANIFEST_FILES`, in that order: the main table and the EPICv2
    id order, which defines EPICv2 values given in manifest order.
    """
    data = files("classifier") / "data"
    lines = []
    for name in MANIFEST_FILES:
        digest = hashlib.sha256()
        with (data / name).open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        lines.append(f"{name}:{digest.hexdigest()}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def model_fingerprint(model: LoadedModel) -> str:
    """SHA-256 identifying a served model beyond its name and version.

    A served model keeps its own (:attr:`api.served_model.loader.ServedModel.fingerprint`),
    computed once when it is loaded.

    Parameters
    ----------
    model : LoadedModel
        The served model (:class:`api.served_model.loader.ServedModel`).

    Returns
    -------
    str
        64 hex digits.
    """
    info, bundle = model.info, model.bundle
    estimator = bundle.estimator
    identity = {
        "name": info.name,
        "version": info.version,
        "run_id": info.run_id,
        "cpgs_sha256": info.cpgs_sha256,
        "classes": list(bundle.classes),
        "threshold": bundle.threshold,
        "ood_threshold": float(estimator.ood_.threshold_),
        "conformal_alpha": float(estimator.conformal_alpha),
        "conformal_quantile": float(getattr(estimator, "conformal_quantile_", float("nan"))),
        "provenance": bundle.provenance,
    }
    options = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY
    digest = hashlib.sha256(orjson.dumps(identity, option=options, default=str))
    digest.update(np.ascontiguousarray(estimator.medians_, dtype="<f4").tobytes())
    return digest.hexdigest()
