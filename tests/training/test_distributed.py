"""Outer folds on a Dask cluster give the same nested cross-validation as locally."""

import numpy as np
import pytest

from classifier.errors import ClassifierError
from classifier.estimator import MethylationClassifier
from training.distributed import outer_fold_backend
from training.nested_cv import nested_cross_validate

distributed = pytest.importorskip("dask.distributed")


@pytest.mark.slow
def test_outer_folds_on_a_local_dask_cluster_match_the_local_run(tiny_cohort):
    model = MethylationClassifier(n_features=100, inner_folds=2, tree_grid=(50,), c_grid=(100.0,))
    X, y = tiny_cohort.betas, tiny_cohort.labels
    local = nested_cross_validate(model, X, y, outer_folds=3, seed=3)
    done = []
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        outer_fold_backend(cluster.scheduler_address),
    ):
        remote = nested_cross_validate(
            model, X, y, outer_folds=3, seed=3, n_jobs=-1,
            progress=lambda d, t, s: done.append((d, t)),
        )  # fmt: skip
    assert sorted(done) == [(1, 3), (2, 3), (3, 3)]
    np.testing.assert_array_equal(remote.fold, local.fold)
    np.testing.assert_allclose(remote.calibrated, local.calibrated, atol=1e-6)
    assert [p["n_estimators"] for p in remote.fold_params] == [50, 50, 50]


def test_an_unreachable_scheduler_is_a_clear_error():
    with (
        pytest.raises(
            ClassifierError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"
        ),
        outer_fold_backend("tcp://127.0.0.1:9", connect_timeout=2),
    ):
        pass
