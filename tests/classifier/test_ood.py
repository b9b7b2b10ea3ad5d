import numpy as np

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
