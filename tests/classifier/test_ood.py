import numpy as np
import pytest

from classifier.ood import ReferenceDistance


def test_profiles_unlike_the_reference_are_flagged():
    rng = np.random.default_rng(0)
    centres = rng.uniform(0.1, 0.9, (4, 100))
    ref = np.vstack([c + rng.normal(0, 0.03, (25, 100)) for c in centres])
    det = ReferenceDistance(n_components=10).fit(ref)
    inside = centres[1] + rng.normal(0, 0.03, (5, 100))
    outside = rng.uniform(0, 1, (5, 100))  # unlike every class
    assert not det.predict(inside).any()
    assert det.predict(outside).all()
    # About 1 % of the reference itself lies past the 99th percentile.
    assert (det.score_samples(ref) > det.threshold_).mean() <= 0.02


def test_projection_equals_scikit_learns_pca_transform():
    # transform() does PCA's arithmetic itself (no input checks); same values.
    rng = np.random.default_rng(1)
    ref = rng.uniform(0, 1, (60, 40)).astype(np.float32)
    profiles = rng.uniform(0, 1, (3, 40)).astype(np.float32)
    for whiten in (False, True):
        det = ReferenceDistance(n_components=8).fit(ref)
        det.pca_.set_params(whiten=whiten)
        expected = det.pca_.transform(profiles)
        np.testing.assert_allclose(det.transform(profiles), expected, rtol=1e-5, atol=1e-5)


def _reference(seed=2, n=60, d=20):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.2, 0.8, (3, d))
    return np.vstack([c + rng.normal(0, 0.05, (n // 3, d)) for c in centres]).astype(np.float32)


def _loo_knn_distance(Z, k):
    """Mean distance to the k nearest other rows, written out directly."""
    d = np.sqrt(((Z[:, None, :] - Z[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    return np.sort(d, axis=1)[:, :k].mean(axis=1)


@pytest.mark.parametrize(("quantile", "k"), [(0.99, 5), (0.9, 5), (0.5, 3), (0.99, 1)])
def test_threshold_is_the_quantile_of_leave_one_out_distances(quantile, k):
    ref = _reference()
    det = ReferenceDistance(n_components=6, n_neighbors=k, quantile=quantile).fit(ref)
    expected = np.quantile(_loo_knn_distance(det.reference_.astype(float), k), quantile)
    assert det.threshold_ == pytest.approx(expected, rel=1e-4)
    assert det.k_ == k


def test_score_is_the_mean_distance_to_the_nearest_references():
    ref = _reference()
    det = ReferenceDistance(n_components=6, n_neighbors=4).fit(ref)
    profiles = _reference(seed=9)[:5]
    Z = det.transform(profiles).astype(float)
    d = np.sqrt(((Z[:, None, :] - det.reference_[None, :, :].astype(float)) ** 2).sum(-1))
    expected = np.sort(d, axis=1)[:, :4].mean(axis=1)
    np.testing.assert_allclose(det.score_samples(profiles), expected, rtol=1e-4)
    # predict is strictly above the threshold.
    det.threshold_ = float(det.score_samples(profiles)[0])
    assert not det.predict(profiles)[0]


def test_components_and_neighbours_are_bounded_by_the_data():
    ref = _reference(n=6, d=4)
    det = ReferenceDistance(n_components=30, n_neighbors=10).fit(ref)
    assert det.pca_.n_components_ == 4  # min(30, n - 1 = 5, d = 4)
    assert det.k_ == 5  # n - 1
    assert det.reference_.shape == (6, 4)


def test_defaults_are_the_documented_ones():
    assert ReferenceDistance().get_params() == {
        "n_components": 30,
        "n_neighbors": 5,
        "quantile": 0.99,
    }


@pytest.mark.parametrize(("n", "d", "expected"), [(6, 10, 5), (12, 3, 3), (8, 1, 1)])
def test_components_are_capped_by_samples_minus_one_and_by_cpgs(n, d, expected):
    ref = np.random.default_rng(n).uniform(0, 1, (n, d))
    det = ReferenceDistance(n_components=30).fit(ref)
    assert det.pca_.n_components_ == expected
    assert det.reference_.dtype == np.float32


def test_a_profile_at_a_reference_sample_scores_its_neighbours_distance():
    # Four reference points on a line; k = 2: the point itself (distance 0) counts,
    # unlike in the leave-one-out threshold.
    ref = np.array([[0.0], [1.0], [3.0], [7.0]], dtype=np.float32)
    det = ReferenceDistance(n_components=1, n_neighbors=2, quantile=0.5).fit(ref)
    Z = det.reference_
    np.testing.assert_allclose(det.score_projected(Z), [0.5, 0.5, 1.0, 2.0], atol=1e-5)
    # Leave-one-out mean distance to 2 others: 2.0, 1.5, 2.5, 5.0; median 2.25.
    assert det.threshold_ == pytest.approx(2.25, abs=1e-5)
    assert det.k_ == 2
    # More neighbours asked than other references: k is n - 1.
    wide = ReferenceDistance(n_components=1, n_neighbors=10).fit(ref)
    assert wide.k_ == 3
    np.testing.assert_allclose(wide.score_projected(Z[:1]), [4 / 3], atol=1e-5)


def test_projections_are_float32_whatever_the_input():
    ref = _reference()
    det = ReferenceDistance(n_components=4).fit(ref.astype(np.float64))
    assert det.transform(ref[:3].astype(np.float64)).dtype == np.float32
