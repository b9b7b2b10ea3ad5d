"""The second synthetic world: real structure in, structure out."""

import numpy as np
import pandas as pd
import pytest

from classifier.taxonomy import load_taxonomy
from training.synthetic.cohort_builder import make_world
from training.synthetic.priors import PRIOR_SOURCES, WorldPriors, prior_table
from training.synthetic.tissues import CONTROL_RECIPES, tissue_for_site
from training.synthetic.world import RELATIONS, SampleSpec


@pytest.fixture(scope="module")
def world():
    return make_world(0)


@pytest.fixture(scope="module")
def columns(world):
    both = world.on("450k") & world.on("epic")
    array = world.array_cpgs[both[world.array_cpgs]]
    return np.sort(np.random.default_rng(0).choice(array, 40_000, replace=False))


def _distance(world, a, b, columns):
    return np.abs(world.class_means(a, 0, columns) - world.class_means(b, 0, columns)).mean()


def test_every_prior_has_a_stated_basis():
    table = prior_table()
    assert [row["parameter"] for row in table] == list(WorldPriors.__dataclass_fields__)
    assert set(PRIOR_SOURCES) == set(WorldPriors.__dataclass_fields__)
    assert {row["kind"] for row in table} == {"source", "assumption"}
    assert all(len(row["basis"]) > 20 for row in table)


def test_neighbour_table_names_known_classes_once():
    world = make_world(0)
    codes = set(load_taxonomy().classes.index)
    pairs = [name.split("|") for (level, name) in world.effects if level == "pair"]
    assert len(pairs) == 38
    assert all(a in codes and b in codes and a != b for a, b in pairs)
    assert len({frozenset(p) for p in pairs}) == len(pairs)


def test_island_relation_sets_the_baseline(world):
    counts = np.bincount(world.relation[world.on("450k")], minlength=4)
    assert dict(zip(RELATIONS, counts.tolist(), strict=True)) == {
        "island": 176_061, "shore": 97_958, "shelf": 35_446, "open_sea": 176_112,
    }  # fmt: skip
    beta = 1 / (1 + np.exp(-world.baseline))
    on = world.on("450k")
    island = np.median(beta[on & (world.relation == 0)])
    open_sea = np.median(beta[on & (world.relation == 3)])
    assert island < 0.15 and open_sea > 0.7


def test_published_neighbours_are_closer_than_other_classes(world, columns):
    assert _distance(world, "USARC", "LMS", columns) < _distance(world, "USARC", "CHORD", columns)
    assert _distance(world, "EWS", "CIC", columns) < _distance(world, "EWS", "SS", columns)
    # Same family without a published link: in between.
    assert _distance(world, "LGFMS", "SEF", columns) < _distance(world, "LGFMS", "DFSP", columns)


def test_controls_are_normal_tissue(world, columns):
    assert set(CONTROL_RECIPES) == {"CTRL_BLOOD", "CTRL_MUSC", "CTRL_REACT"}
    blood = world.class_means("CTRL_BLOOD", 0, columns)
    reference = world.tissues["blood"][columns]
    assert np.allclose(blood, reference, atol=1e-3)
    normals = pd.read_parquet("training/data/normal_tissue.parquet")["blood"].dropna()
    known = world.index_of(normals.index.to_numpy())
    m = world.class_means("CTRL_BLOOD", 0, known)
    assert np.allclose(1 / (1 + np.exp(-m)), np.clip(normals.to_numpy(), 0.02, 0.98), atol=1e-3)


def test_low_purity_tumours_drift_towards_normal_tissue(world, columns):
    def sample(purity, seed):
        spec = SampleSpec("LMS", "epic", "frozen", purity, "Soft tissue, limbs, thigh", "male")
        return world.sample(spec, columns, seed)

    normal = 1 / (1 + np.exp(-world.class_means("CTRL_MUSC", 0, columns)))
    tumour = 1 / (1 + np.exp(-world.class_means("LMS", 0, columns)))
    # Judged where tumour and muscle differ; elsewhere noise dominates.
    differ = np.abs(tumour - normal) > 0.3
    assert differ.sum() > 200
    normal, tumour = normal[differ], tumour[differ]
    for seed in range(3):
        low, high = sample(0.2, seed)[differ], sample(0.9, seed)[differ]
        assert np.nanmean(np.abs(low - normal)) < np.nanmean(np.abs(high - normal))
        assert np.nanmean(np.abs(high - tumour)) < np.nanmean(np.abs(low - tumour))


def test_a_supplier_is_a_batch(world, columns):
    def sample(supplier, seed):
        spec = SampleSpec("SS", "450k", "frozen", 0.6, "Soft tissue", "male", supplier, 0.0)
        return world.sample(spec, columns, seed)

    same = np.nanmean(sample("Jena Pathology", 1) - sample("Jena Pathology", 2))
    other = np.nanmean(sample("Jena Pathology", 1) - sample("Kiel Pathology", 2))
    a, b = world._batch("Jena Pathology", 0), world._batch("Kiel Pathology", 0)
    assert a[0] != b[0]
    # The global shift of a batch shows in the mean difference of two samples.
    assert abs(same) < abs(other) or abs(a[0] - b[0]) < 0.02


def test_sites_map_to_tissues():
    assert tissue_for_site("Visceral, abdomen, stomach") == {"omentum": 1.0}
    assert tissue_for_site("Skin, head") == {"skin": 1.0}
    assert tissue_for_site("Bone, spine") == {"fat": 0.7, "blood": 0.3}
    assert tissue_for_site("Soft tissue, limbs, lower limbs, thigh") == {"fat": 0.5, "muscle": 0.5}
    assert tissue_for_site("") == {"fat": 1.0}
