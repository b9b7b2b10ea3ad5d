"""Loading the served model from a bundle directory or the MLflow Model Registry.

``MODEL_URI`` (``models:/NAME@ALIAS`` or ``models:/NAME/VERSION``) is
resolved once, at start-up, to a fixed registry version, whose artifacts are
downloaded and whose bundle is loaded; that version and its run id are then
reported by ``GET /v1/model`` and in every result, so that a moved alias
never changes what a running service answers. Otherwise ``MODEL_PATH`` (a
bundle directory) is loaded. MLflow is imported only in the registry path:
importing the service stays cheap.

MLflow retries an unanswered HTTP request 7 times with growing pauses (about
4 minutes) and waits 120 s for each answer: right for a training script, not
for a service whose start-up, or whose poll of the alias, would hang that
long on a registry that is down. Unless the operator sets MLflow's own
variables, the service asks for :data:`REGISTRY_HTTP_DEFAULTS`: one clear
error after ~6 s when the registry refuses connections, after at most ~65 s
(3 attempts of 20 s, and the pauses) when its host does not answer at all.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from api.served_model.alignment import ProbeAligner
from api.served_model.model_identity import model_fingerprint
from api.settings import MODEL_URI_PATTERN, Settings
from classifier.bundle import BUNDLE_FILE, ModelBundle, load_bundle
from classifier.errors import ModelBundleError
from classifier.knowledge import load_knowledge
from classifier.manifest import load_manifest
from classifier.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "EMBEDDED_TRACKING_URI",
    "REGISTRY_HTTP_DEFAULTS",
    "ModelInfo",
    "RegistryLookupError",
    "ServedModel",
    "cpgs_sha256",
    "load_served_model",
    "public_source",
    "resolve_registry_version",
]

log = logging.getLogger(__name__)

#: The checkout's root, where training keeps its embedded MLflow store.
_PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: The registry without ``MLFLOW_TRACKING_URI``: the embedded store that
#: ``python -m training.train`` writes (see :mod:`training.tracking`).
EMBEDDED_TRACKING_URI = f"sqlite:///{_PROJECT_ROOT / 'mlflow.db'}"

#: MLflow's HTTP settings the service uses unless they are set in its
#: environment: 2 retries and 20 s to connect or to answer (see the module docstring).
REGISTRY_HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
}


class RegistryLookupError(ModelBundleError):
    """The registry could not be read: which version ``MODEL_URI`` names, or its artifacts.

    The registry is down, or has no such model or alias. Unlike a version
    whose bundle is broken, worth asking again later.
    """


@dataclass(frozen=True)
class ModelInfo:
    """Identity of the served model, reported with every result.

    Attributes
    ----------
    name : str
    version : str
        Registry version (fixed at load), or the bundle's own version.
    run_id : str or None
        MLflow run that produced it.
    source : str
        Where it was loaded from: ``models:/NAME/VERSION`` or a directory.
    requested : str
        What the configuration asked for (e.g. ``models:/NAME@champion``).
    threshold : float
        Calibrated score of a match.
    cpgs_sha256 : str
        SHA-256 of the model's CpG list (``cpgs.txt``), for model-ordered input.
    """

    name: str
    version: str
    run_id: str | None
    source: str
    requested: str
    threshold: float
    cpgs_sha256: str

    @property
    def public_source(self) -> str:
        """:attr:`source` as every client may see it (no server path); see :func:`public_source`."""
        return public_source(self.source)


@dataclass(frozen=True)
class ServedModel:
    """A loaded bundle with what the service precomputes around it.

    Attributes
    ----------
    bundle : ModelBundle
    info : ModelInfo
    aligner : ProbeAligner
        Index arrays from each manifest array to the model's CpGs.
    class_names : dict of str to str
        Display name of each model class (the code itself when the taxonomy lacks it).
    class_family : dict of str to str
        Family code of each model class.
    family_names : dict of str to str
        Display name of each family.
    """

    bundle: ModelBundle
    info: ModelInfo
    aligner: ProbeAligner
    class_names: dict[str, str]
    class_family: dict[str, str]
    family_names: dict[str, str]

    @property
    def n_cpgs(self) -> int:
        """Number of CpGs the model reads."""
        return len(self.bundle.cpgs)

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the trained bundle.

        See :func:`~api.served_model.model_identity.model_fingerprint`.

        Computed once per loaded model: every result names it, and it hashes
        the bundle's provenance and training medians.
        """
        return model_fingerprint(self)


def load_served_model(settings: Settings) -> ServedModel:
    """Load the model named by the settings and build its alignment indices.

    Parameters
    ----------
    settings : Settings

    Returns
    -------
    ServedModel

    Raises
    ------
    ModelBundleError
        If the bundle is missing or invalid, or the registry URI cannot be resolved.
    """
    if settings.model_uri:
        bundle, info = _from_registry(settings.model_uri, settings.mlflow_tracking_uri)
    else:
        path = settings.bundle_path
        bundle = load_bundle(path)
        tracked = bundle.provenance.get("mlflow") or {}
        info = ModelInfo(
            name=bundle.name,
            version=str(tracked.get("registered_version") or bundle.version),
            run_id=tracked.get("run_id"),
            source=str(path),
            requested=str(path),
            threshold=bundle.threshold,
            cpgs_sha256=cpgs_sha256(bundle),
        )
    aligner = ProbeAligner(bundle.cpgs, load_manifest())
    load_knowledge()  # read the knowledge tables now, not in the first request
    log.info(
        "serving model %s version %s (%d CpGs, %d classes) from %s",
        info.name,
        info.version,
        len(bundle.cpgs),
        len(bundle.classes),
        info.source,
    )
    return ServedModel(bundle=bundle, info=info, aligner=aligner, **_names(bundle, load_taxonomy()))


def public_source(source: str) -> str:
    """Where a model came from, as any client may read it: never a path of the server.

    A registry URI (``models:/NAME/VERSION`` or ``models:/NAME@ALIAS``) is shown
    as it is; a bundle directory by its name only (``bundle sarcoma-classifier``):
    its path says how the server is laid out, which is the operator's business.
    """
    if MODEL_URI_PATTERN.match(source) or source.startswith(_BUNDLE_PREFIX):
        return source  # public already (the case page reads stored sources of both kinds)
    return f"{_BUNDLE_PREFIX}{Path(source).name}"


_BUNDLE_PREFIX = "bundle "


def cpgs_sha256(bundle: ModelBundle) -> str:
    """SHA-256 of the CpG list as ``cpgs.txt`` writes it (one id per line)."""
    text = "\n".join(map(str, bundle.cpgs)) + "\n"
    return hashlib.sha256(text.encode()).hexdigest()


def _names(bundle: ModelBundle, taxonomy: Taxonomy) -> dict[str, dict[str, str]]:
    # Looked up once here: taxonomy lookups of unknown labels are slow.
    class_family = dict(zip(bundle.classes, bundle.class_families, strict=True))
    return {
        "class_names": {c: taxonomy.display_name(c) for c in bundle.classes},
        "class_family": class_family,
        "family_names": {f: taxonomy.family_name(f) for f in set(class_family.values())},
    }


def resolve_registry_version(uri: str, tracking_uri: str | None) -> str:
    """The registry version ``uri`` names now (an alias is followed; cheap, no download).

    Raises
    ------
    ModelBundleError
        If the registry cannot resolve ``uri``.
    """
    return str(_resolve(uri, tracking_uri)[1].version)


def _resolve(uri: str, tracking_uri: str | None):
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    match = MODEL_URI_PATTERN.match(uri)
    if match is None:  # Settings already checked; keep mypy and callers honest
        raise ModelBundleError(f"not a registry URI: {uri!r}", field="MODEL_URI")
    store = tracking_uri or EMBEDDED_TRACKING_URI
    # MLflow reads these at every request; an operator's own values win.
    for variable, value in REGISTRY_HTTP_DEFAULTS.items():
        os.environ.setdefault(variable, value)
    mlflow.set_tracking_uri(store)
    mlflow.set_registry_uri(store)
    client = MlflowClient(tracking_uri=store, registry_uri=store)
    name = match["name"]
    try:
        if match["alias"]:
            version = client.get_model_version_by_alias(name, match["alias"])
        else:
            version = client.get_model_version(name, match["version"])
    except MlflowException as exc:
        raise RegistryLookupError(
            f"cannot resolve MODEL_URI {uri} in the registry at {store}: {exc.message}",
            field="MODEL_URI",
        ) from exc
    return name, version


def _from_registry(uri: str, tracking_uri: str | None) -> tuple[ModelBundle, ModelInfo]:
    import mlflow
    from mlflow.exceptions import MlflowException

    name, version = _resolve(uri, tracking_uri)
    fixed = f"models:/{name}/{version.version}"
    with tempfile.TemporaryDirectory(prefix="sarcoma-model-") as tmp:
        try:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=fixed, dst_path=tmp))
        except MlflowException as exc:
            raise RegistryLookupError(
                f"cannot download {fixed}: {exc.message}", field="MODEL_URI"
            ) from exc
        found = sorted(local.rglob(BUNDLE_FILE))
        if len(found) != 1:
            raise ModelBundleError(
                f"{fixed} holds {len(found)} model bundles (expected one {BUNDLE_FILE} "
                "among its artifacts)",
                field="MODEL_URI",
            )
        # Everything is read into memory, so the download can go afterwards.
        bundle = load_bundle(found[0].parent)
    info = ModelInfo(
        name=name,
        version=str(version.version),
        run_id=version.run_id,
        source=fixed,
        requested=uri,
        threshold=bundle.threshold,
        cpgs_sha256=cpgs_sha256(bundle),
    )
    return bundle, info
