"""Model hot-swap: load a new model beside the served one, check it, switch atomically.

A reload re-reads the configured source: the bundle directory of
``MODEL_PATH``, or the registry version that ``MODEL_URI`` names *now* (an
alias such as ``@champion`` is followed again). The new model is loaded in a
worker thread while the old one keeps answering, then checked by
classifying its own training medians; only a model that passes replaces the
old one, by one attribute assignment. A request holds the model it started
with until it ends, so no request fails or mixes two models during a switch.

With ``MODEL_POLL_SECONDS`` > 0 and an alias in ``MODEL_URI``, a background
task follows the alias: every replica of a deployment moves to a new
champion within that period, without a call to each one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread
import numpy as np

from api.frame.memory import release_unused_memory
from api.frame.prometheus import ServiceMetrics
from api.served_model.loader import (
    RegistryLookupError,
    ServedModel,
    load_served_model,
    resolve_registry_version,
)
from api.settings import MODEL_URI_PATTERN, Settings
from classifier.errors import ClassifierError, ModelBundleError

__all__ = ["ModelSwapper", "ReloadOutcome", "SelfCheck", "check_served_model"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SelfCheck:
    """What the check of a freshly loaded model found.

    Attributes
    ----------
    top_class : str
        The class the model gives its own training medians.
    score : float
        Its calibrated score.
    n_classes, n_cpgs : int
    """

    top_class: str
    score: float
    n_classes: int
    n_cpgs: int


@dataclass(frozen=True)
class ReloadOutcome:
    """The result of one reload.

    Attributes
    ----------
    previous, current : ServedModel
        The model served before and after (the same object when unchanged).
    swapped : bool
        Whether the served model was replaced.
    check : SelfCheck or None
        The new model's check (``None`` when nothing new was loaded).
    """

    previous: ServedModel
    current: ServedModel
    swapped: bool
    check: SelfCheck | None


def check_served_model(model: ServedModel) -> SelfCheck:
    """Classify the model's own training medians and check the answer is sane.

    Raises
    ------
    ModelBundleError
        If the model cannot classify, or its scores are not a finite
        distribution over its classes.
    """
    estimator = model.bundle.estimator
    medians = np.asarray(estimator.medians_, dtype=np.float32).reshape(1, -1)
    if medians.shape[1] != model.n_cpgs:
        raise ModelBundleError(
            f"the model has {medians.shape[1]} training medians for {model.n_cpgs} CpGs",
            field="medians_",
        )
    try:
        (call,) = model.bundle.classify_aligned(medians)
    except (ValueError, ClassifierError) as exc:
        raise ModelBundleError(f"the model cannot classify its own medians: {exc}") from exc
    scores = np.asarray(list(call.scores.values()), dtype=float)
    if len(scores) != len(model.bundle.classes) or not np.all(np.isfinite(scores)):
        raise ModelBundleError(
            f"the model's scores of its own medians are not {len(model.bundle.classes)} "
            "finite numbers"
        )
    total = float(scores.sum())
    if abs(total - 1.0) > 1e-3:
        raise ModelBundleError(f"the model's calibrated scores sum to {total:.6f}, expected 1")
    return SelfCheck(
        top_class=call.top_class,
        score=call.score,
        n_classes=len(model.bundle.classes),
        n_cpgs=model.n_cpgs,
    )


class ModelSwapper:
    """Reload the served model of an app without dropping a request.

    Parameters
    ----------
    state : object
        The app's ``state``; its attribute ``model`` is the served model.
    settings : Settings
        Names the model source.
    metrics : ServiceMetrics, optional
        Told the new model after each switch, and each reload's outcome.
    loader : callable, optional
        ``Settings -> ServedModel``; :func:`~api.served_model.loader.load_served_model` by default.
    """

    def __init__(
        self,
        state: object,
        settings: Settings,
        metrics: ServiceMetrics | None = None,
        loader: Callable[[Settings], ServedModel] = load_served_model,
    ) -> None:
        self.state = state
        self.settings = settings
        self.metrics = metrics
        self.loader = loader
        self._lock = anyio.Lock()
        # The registry version a poll failed to load: not loaded again (seconds
        # of CPU each minute) until the alias names another one.
        self._failed_version: str | None = None

    @property
    def served(self) -> ServedModel:
        """The model being served."""
        model = getattr(self.state, "model", None)
        if model is None:
            raise ModelBundleError("no model is loaded yet")
        return model

    async def reload(self) -> ReloadOutcome:
        """Load the configured source again, check it, and switch to it.

        Reloads run one at a time; the old model serves until the switch.

        Raises
        ------
        ModelBundleError
            If the new model cannot be loaded or fails its check; the old
            model is still served.
        """
        async with self._lock:
            previous = self.served
            try:
                new = await anyio.to_thread.run_sync(self.loader, self.settings)
                check = await anyio.to_thread.run_sync(check_served_model, new)
            except Exception as exc:
                log.warning("model reload failed; still serving version %s", previous.info.version)
                self._count("failed")
                if isinstance(exc, ModelBundleError):
                    raise
                raise ModelBundleError(f"cannot load the new model: {exc}") from exc
            self.state.model = new  # type: ignore[attr-defined]
            if self.metrics is not None:
                self.metrics.set_model(new.info)
            self._count("swapped")
            await anyio.to_thread.run_sync(release_unused_memory)
            log.info(
                "model swapped: %s version %s -> %s version %s",
                previous.info.name,
                previous.info.version,
                new.info.name,
                new.info.version,
            )
            return ReloadOutcome(previous, new, swapped=True, check=check)

    async def reload_if_moved(self) -> ReloadOutcome:
        """Reload only if the registry alias of ``MODEL_URI`` now names another version."""
        uri = self.settings.model_uri
        previous = self.served
        if uri is None or not _is_alias(uri):
            return ReloadOutcome(previous, previous, swapped=False, check=None)
        version = await anyio.to_thread.run_sync(
            resolve_registry_version, uri, self.settings.mlflow_tracking_uri
        )
        if version in (previous.info.version, self._failed_version):
            self._count("unchanged")
            return ReloadOutcome(previous, previous, swapped=False, check=None)
        log.info("alias %s moved to version %s; reloading", uri, version)
        try:
            return await self.reload()
        except RegistryLookupError:
            raise  # the registry went down meanwhile: the version is asked for again
        except ModelBundleError:
            self._failed_version = version
            raise

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.model_reloads.labels(outcome).inc()

    async def poll(self, interval: float) -> None:
        """Follow the alias of ``MODEL_URI`` every ``interval`` seconds, forever.

        Failures are logged: a broken new champion never stops the service
        from answering with the old one. A version that failed to load is
        not tried again until the alias moves (or an admin reloads), so that
        it is logged once, not at every tick; a registry that cannot be read
        is tried again at the next tick.
        """
        while True:
            await anyio.sleep(interval)
            try:
                await self.reload_if_moved()
            except RegistryLookupError as exc:
                log.warning("model poll: %s (asking again at the next tick)", exc.message)
            except ModelBundleError as exc:
                log.warning("model poll: %s (not tried again until the alias moves)", exc.message)
            except Exception:
                log.exception("model poll failed; retrying at the next tick")


def _is_alias(uri: str) -> bool:
    match = MODEL_URI_PATTERN.match(uri)
    return bool(match and match["alias"])
