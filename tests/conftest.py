"""Shared fixtures: a hermetic environment, a tiny synthetic cohort and a model fitted on it.

The cohort has six classes (the four round cell sarcomas plus two others)
and 3,000 CpGs, half of them drawn from the CpGs that carry class signal
(``oracle_share``: a test fixture's shortcut, so that it builds and trains in
seconds; a cohort drawn as an array is would need 100,000 columns).
"""

from __future__ import annotations

import os

import pytest

from training.cohort import Cohort

TINY_CLASSES = ["DSRCT", "EWS", "CIC", "BCOR", "LMS", "SS"]

#: Variables read by the code besides the service's settings: the MLflow
#: store and its HTTP behaviour.
_OTHER_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
_OTHER_PREFIXES = ("MLFLOW_HTTP_REQUEST_",)


@pytest.fixture(scope="session", autouse=True)
def hermetic_environment():
    """The suite sees none of the shell's settings, nor a ``.env`` file.

    Every unset field of :class:`api.settings.Settings` is read from the
    environment (and ``.env``), so ``BLAS_THREADS=2`` in a developer's shell
    would change what the tests see. Session-scoped and autouse, so that it
    runs before any session fixture reads settings; a test that sets a
    variable itself (monkeypatch) still can.
    """
    from api.settings import Settings

    names = [name.upper() for name in Settings.model_fields]
    names += [n for n in os.environ if n in _OTHER_VARIABLES or n.startswith(_OTHER_PREFIXES)]
    with pytest.MonkeyPatch.context() as patch:
        for name in names:
            patch.delenv(name, raising=False)
        patch.setitem(Settings.model_config, "env_file", None)
        yield


@pytest.fixture(scope="session")
def tiny_cohort() -> Cohort:
    from training.synthetic import build_cohort

    return build_cohort(seed=1, scale=0.5, n_cpgs=3000, classes=TINY_CLASSES, oracle_share=0.5)


@pytest.fixture(scope="session")
def tiny_model(tiny_cohort):
    from classifier.estimator import MethylationClassifier

    return MethylationClassifier(n_features=300, inner_folds=3).fit(
        tiny_cohort.betas, tiny_cohort.labels
    )


@pytest.fixture(scope="session")
def tiny_bundle_dir(tiny_model, tmp_path_factory):
    from classifier.bundle import ModelBundle, save_bundle
    from classifier.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    bundle = ModelBundle(
        estimator=tiny_model,
        name="tiny",
        version="test",
        class_families=tuple(taxonomy.family_of(c) for c in tiny_model.classes_),
    )
    return save_bundle(bundle, tmp_path_factory.mktemp("bundle"))
