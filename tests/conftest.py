"""Shared fixtures: a tiny synthetic cohort and a model fitted on it.

The cohort has six classes (the four round cell sarcomas plus two others)
and 3,000 CpGs, half of them drawn from the CpGs that carry class signal
(``oracle_share``: a test fixture's shortcut, so that it builds and trains in
seconds; a cohort drawn as an array is would need 100,000 columns).
"""

from __future__ import annotations

import pytest

from training.cohort import Cohort

TINY_CLASSES = ["DSRCT", "EWS", "CIC", "BCOR", "LMS", "SS"]


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
