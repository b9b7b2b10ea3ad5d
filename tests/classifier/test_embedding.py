import numpy as np
import pytest

from classifier.embedding import ReferenceMap, knn_class_agreement


def _clusters(seed=0, n=40, d=6):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 5, (4, d))
    labels = np.repeat(np.arange(4), n // 4)
    return (centres[labels] + rng.normal(0, 0.3, (n, d))).astype(np.float32), labels


def test_pca_map_is_the_first_two_components():
    Z, _ = _clusters()
    fitted = ReferenceMap("pca").fit(Z)
    np.testing.assert_array_equal(fitted.coords_, Z[:, :2])
    np.testing.assert_array_equal(fitted.transform(Z[:3]), Z[:3, :2])
    one_dim = ReferenceMap("pca").fit(Z[:, :1])
    np.testing.assert_array_equal(one_dim.coords_[:, 1], 0.0)


@pytest.mark.slow
def test_tsne_keeps_clusters_apart_and_places_profiles_among_their_neighbours():
    Z, labels = _clusters()
    fitted = ReferenceMap("tsne", n_neighbors=3).fit(Z)
    assert fitted.coords_.shape == (40, 2)
    share, nearest = knn_class_agreement(fitted.coords_, labels, k=5)
    assert share > 0.95 and nearest == 1.0
    # A reference sample itself lands on its own position (its distance is 0).
    np.testing.assert_allclose(fitted.transform(Z[5:6]), fitted.coords_[5:6], atol=1e-3)
    # A new profile lands at the distance-weighted mean of its 3 nearest references.
    new = Z[7:8] + 0.2
    d = np.sqrt(((Z - new) ** 2).sum(1))
    nearest3 = np.argsort(d)[:3]
    w = 1 / d[nearest3]
    expected = (w[:, None] * fitted.coords_[nearest3]).sum(0) / w.sum()
    np.testing.assert_allclose(fitted.transform(new)[0], expected, rtol=1e-4)


def test_tiny_references_fall_back_to_components_and_bad_methods_fail():
    Z, _ = _clusters(n=3 * 4)
    np.testing.assert_array_equal(ReferenceMap("tsne").fit(Z[:3]).coords_, Z[:3, :2])
    with pytest.raises(ValueError, match="unknown map method 'umap'"):
        ReferenceMap("umap").fit(Z)


def test_knn_class_agreement_by_hand():
    coords = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [11.0, 0.0], [5.2, 0.0]])
    labels = np.array(["a", "a", "b", "b", "a"])
    share, nearest = knn_class_agreement(coords, labels, k=1)
    # nearest others: 0->1 (a), 1->0 (a), 2->3 (b), 3->2 (b), 4->1? |5.2-1|=4.2 < |10-5.2|=4.8 (a)
    assert (share, nearest) == (1.0, 1.0)
    share2, _ = knn_class_agreement(coords, labels, k=2)
    # second nearest: 0->4 (a), 1->4 (a), 2->4 (a, wrong), 3->4 (a, wrong), 4->2 (b, wrong:
    # 4.8 from 5.2 beats sample 0 at 5.2)
    assert share2 == pytest.approx((2 + 2 + 1 + 1 + 1) / 10)
