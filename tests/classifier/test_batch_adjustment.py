import numpy as np
import pytest

from classifier.batch_adjustment import fit_material_offsets, is_ffpe
from classifier.errors import ClassifierError
from classifier.estimator import MethylationClassifier


def test_offsets_are_estimated_within_classes():
    rng = np.random.default_rng(0)
    codes = np.repeat([0, 1], 40)
    ffpe = np.tile([True, False], 40)
    X = np.where(codes[:, None] == 0, 0.2, 0.7) + rng.normal(0, 0.01, (80, 3))
    X[ffpe, 0] += 0.1  # CpG 0: FFPE reads 0.1 higher in both classes
    X[ffpe, 1] -= 0.05
    X = X.astype(np.float32)
    X[3, 2] = np.nan  # a missing value is skipped, not counted as 0
    offsets = fit_material_offsets(X, codes, ffpe, np.arange(80), np.arange(3))
    np.testing.assert_allclose(offsets, [0.1, -0.05, 0.0], atol=0.01)


def test_a_class_profiled_only_from_ffpe_lends_nothing_to_the_offset():
    codes = np.repeat([0, 1], 10)
    ffpe = np.array([True] * 10 + [False] * 10)  # class 0 all FFPE, class 1 all frozen
    X = np.where(codes[:, None] == 0, 0.9, 0.1).astype(np.float32)
    offsets = fit_material_offsets(X, codes, ffpe, np.arange(20), np.arange(1))
    assert offsets.tolist() == [0.0]
    assert is_ffpe(["FFPE", "ffpe ", "frozen", None]).tolist() == [True, True, False, False]


def test_the_material_adjustment_needs_the_material(tiny_cohort):
    model = MethylationClassifier(n_features=50, batch_adjustment="material")
    with pytest.raises(ClassifierError, match="needs the material of each of the 70 samples"):
        model.fit(tiny_cohort.betas, tiny_cohort.labels)
    with pytest.raises(ClassifierError, match="unknown batch_adjustment 'combat'"):
        MethylationClassifier(batch_adjustment="combat").fit(tiny_cohort.betas, tiny_cohort.labels)


def test_a_material_adjusted_model_shifts_ffpe_profiles_back(tiny_cohort):
    material = tiny_cohort.samples["material"].to_numpy()
    model = MethylationClassifier(
        n_features=100, tree_grid=(30,), c_grid=(100.0,), batch_adjustment="material"
    ).fit(tiny_cohort.betas, tiny_cohort.labels, material=material)
    assert model.ffpe_offsets_.shape == (len(model.cpgs_),)
    assert np.abs(model.ffpe_offsets_).max() > 0.005
    aligned = model.align(tiny_cohort.betas.iloc[:4])
    unadjusted = model.predict_aligned(aligned).raw
    np.testing.assert_array_equal(model.predict_aligned(aligned, material="frozen").raw, unadjusted)
    by_hand = np.clip(aligned - model.ffpe_offsets_, 0, 1)
    expected = model.predict_aligned(by_hand).raw
    ffpe = model.predict_aligned(aligned, material=["FFPE", "frozen", "FFPE", "frozen"]).raw
    np.testing.assert_array_equal(ffpe[[0, 2]], expected[[0, 2]])
    np.testing.assert_array_equal(ffpe[[1, 3]], unadjusted[[1, 3]])
