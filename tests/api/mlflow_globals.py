"""MLflow's process-wide tracking and registry URIs, restored after a test."""

from __future__ import annotations

import contextlib
import os

import pytest

__all__ = ["mlflow_uris"]


@contextlib.contextmanager
def mlflow_uris(uri: str | None = None):
    """Set MLflow's global tracking and registry URIs, and restore them afterwards.

    The model loader sets both globally (module variables and environment
    variables), and MLflow's HTTP retry variables; a registry test must not
    leave them pointing at its store, or changed for the tests after it.
    """
    import mlflow
    import mlflow.tracking._model_registry.utils as registry_utils
    import mlflow.tracking._tracking_service.utils as tracking_utils

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry_utils, "_registry_uri", registry_utils._registry_uri)
        patch.setattr(tracking_utils, "_tracking_uri", tracking_utils._tracking_uri)
        # The loader also sets MLflow's HTTP retry settings unless they are set.
        for name in (
            "MLFLOW_REGISTRY_URI",
            "MLFLOW_TRACKING_URI",
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
            "MLFLOW_HTTP_REQUEST_TIMEOUT",
        ):
            # setenv records what to restore (even "absent"); MLflow sets them later.
            previous = os.environ.get(name)
            patch.setenv(name, previous or "")
            if previous is None:
                patch.delenv(name)
        if uri is not None:
            mlflow.set_tracking_uri(uri)
            mlflow.set_registry_uri(uri)
        yield
