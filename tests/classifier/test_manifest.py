"""Tests for classifier.manifest against the packaged manifest files."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import classifier.manifest
from classifier.errors import ClassifierError
from classifier.manifest import (
    CHROMOSOMES,
    DEFAULT_FILTERS,
    FILTERS,
    REFERENCE_FILTERS,
    load_manifest,
)
from classifier.probes import ArrayType, base_probe_ids


@pytest.fixture(scope="module")
def manifest():
    return load_manifest()


def test_public_surface_is_deliberate():
    assert sorted(classifier.manifest.__all__) == sorted(
        [
            "CHROMOSOMES",
            "DEFAULT_FILTERS",
            "FILTERS",
            "REFERENCE_FILTERS",
            "ProbeManifest",
            "load_manifest",
        ]
    )


def test_load_is_cached_and_frozen(manifest):
    assert load_manifest() is manifest
    with pytest.raises(dataclasses.FrozenInstanceError):
        manifest.table = pd.DataFrame()  # type: ignore[misc]


def test_array_sizes(manifest):
    table = manifest.table
    assert len(table) == 1_082_436
    assert table.index.is_unique and table.index.is_monotonic_increasing
    assert int(table["on_450k"].sum()) == 485_577
    assert int(table["on_epic"].sum()) == 866_895  # EPIC v1 B2 content
    assert int(table["on_epicv2"].sum()) == 929_772  # EPICv2 CpGs (base ids)
    sizes = {a: len(manifest.array_probe_ids(a)) for a in ArrayType}
    assert sizes == {ArrayType.HM450: 485_577, ArrayType.EPIC: 866_895, ArrayType.EPICV2: 936_166}


def test_column_types(manifest):
    table = manifest.table
    assert list(table["chrom"].cat.categories) == list(CHROMOSOMES)
    assert list(table["design"].cat.categories) == ["I", "II"]
    assert table["pos"].dtype == "Int64"
    assert table["cgi"].dtype == "boolean"
    for column in ("on_450k", "on_epic", "on_epicv2", *manifest.filter_names):
        assert table[column].dtype == bool, column


def test_known_probe_annotation(manifest):
    row = manifest.table.loc["cg00000029"]
    assert (row["chrom"], row["pos"], row["design"], row["cgi"]) == ("16", 53_434_200, "II", True)
    assert row["on_450k"] and row["on_epic"] and row["on_epicv2"]


def test_chromosome_known_for_nearly_every_probe(manifest):
    table = manifest.table
    missing = table["chrom"].isna()
    # Two 450K probes map nowhere on hg38; every other 450K or EPIC probe
    # has a chromosome, and only EPICv2-only probes that the Peters manifest
    # leaves without a position lack one.
    on_older = table["on_450k"] | table["on_epic"]
    assert table.index[missing & on_older].tolist() == ["cg01759674", "cg06102775"]
    assert int((missing & ~on_older).sum()) == 6_359
    assert table.loc[missing & ~on_older, "on_epicv2"].all()


def test_positions_only_from_the_450k_annotation(manifest):
    table = manifest.table
    has_pos = table["pos"].notna()
    assert not has_pos[~table["on_450k"]].any()
    assert has_pos[table["on_450k"]].mean() > 0.999


@pytest.mark.slow
def test_canonical_orders(manifest):
    for array in (ArrayType.HM450, ArrayType.EPIC):
        ids = manifest.array_probe_ids(array)
        assert (ids[1:] > ids[:-1]).all()
        assert set(ids) == set(manifest.probes_on(array))
    v2 = manifest.array_probe_ids("epicv2")
    assert v2[0] == "cg00000029_TC21"
    assert (v2[1:] > v2[:-1]).all()
    assert len(set(base_probe_ids(v2))) == int(manifest.table["on_epicv2"].sum())
    assert manifest.array_probe_ids(ArrayType.EPICV2) is v2  # stable, no recomputation
    with pytest.raises(ValueError, match="read-only"):
        v2[0] = "cg00000000"


def test_filter_names_match_filters(manifest):
    assert manifest.filter_names == tuple(FILTERS)
    assert set(DEFAULT_FILTERS) <= set(FILTERS)
    assert set(REFERENCE_FILTERS) <= set(FILTERS)


@pytest.mark.parametrize(
    ("probe_id", "name"),
    [
        ("cg00004073", "snp"),  # first id of the mnp SNP list
        ("cg00004073", "snp_mnp"),
        ("cg00010242", "ambiguous"),  # first id of the mnp ambiguous list
        ("cg00005617", "xy"),  # first id of the mnp X/Y list
        ("cg00000108", "epic_missing_450k"),  # first id of the mnp epicV1B2 list
        ("cg06373096", "cross_reactive"),  # EPICv2 CH_BLAT-flagged
        ("ch.1.1021960F", "non_cpg"),
        ("rs10033147", "non_cpg"),
    ],
)
def test_listed_probes_are_excluded(manifest, probe_id, name):
    assert probe_id in manifest.excluded([name])
    assert probe_id in manifest.excluded(name)  # a single name works too
    assert "cg00000029" not in manifest.excluded([name])


def test_xy_filter_covers_sex_chromosomes(manifest):
    table = manifest.table
    on_xy = table.index[table["chrom"].isin(["X", "Y"]).to_numpy()]
    assert on_xy.isin(manifest.excluded(["xy"])).all()


def test_epic_missing_probes_are_450k_only(manifest):
    missing = manifest.table.loc[manifest.excluded(["epic_missing_450k"])]
    assert missing["on_450k"].all() and not missing["on_epic"].any()


def test_reference_filters_reproduce_the_heidelberg_probe_set(manifest):
    kept = manifest.probes_on("450k").difference(manifest.excluded(REFERENCE_FILTERS))
    assert len(kept) == 428_798  # Capper 2018 and Koelsche 2021 report 428,799


def test_default_filters_keep_most_of_each_array(manifest):
    removed = manifest.excluded(DEFAULT_FILTERS)
    kept_450k = manifest.probes_on("450k").difference(removed)
    assert len(kept_450k) == 400_267
    assert not kept_450k.str.startswith("ch.").any()


def test_unknown_filter_name(manifest):
    with pytest.raises(ClassifierError, match=r"unknown probe filter\(s\) \['sex'\].*'xy'") as e:
        manifest.excluded(["xy", "sex"])
    assert e.value.field == "filters"


def test_positions(manifest):
    ids = ["cg00000029", "cg99999998", "ch.1.1021960F", "rs10033147", "cg00000029_TC21"]
    rows = manifest.positions(ids)
    assert rows[[1, 4]].tolist() == [-1, -1]
    found = rows[[0, 2, 3]]
    assert manifest.table.index[found].tolist() == [ids[0], ids[2], ids[3]]
    assert manifest.positions([]).dtype == np.intp
