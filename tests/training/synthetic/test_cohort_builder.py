import json

import numpy as np
import pandas as pd
import pytest

from classifier.errors import ClassifierError
from classifier.manifest import load_manifest
from classifier.probes import ArrayType
from training.synthetic.cohort_builder import (
    build_cohort,
    generate_profile,
    load_reference_sheet,
    main,
    make_world,
    select_columns,
)


@pytest.mark.slow
def test_same_seed_same_cohort_other_seed_other_values():
    a = build_cohort(seed=3, scale=0.1, n_cpgs=300, classes=["DSRCT", "EWS"])
    b = build_cohort(seed=3, scale=0.1, n_cpgs=300, classes=["DSRCT", "EWS"])
    c = build_cohort(seed=4, scale=0.1, n_cpgs=300, classes=["DSRCT", "EWS"])
    pd.testing.assert_frame_equal(a.betas, b.betas)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    assert not np.allclose(np.nan_to_num(a.betas.to_numpy()), np.nan_to_num(c.betas.to_numpy()))


@pytest.mark.slow
def test_full_cohort_has_the_sheets_classes_and_counts():
    sheet = load_reference_sheet()
    cohort = build_cohort(seed=0, scale=1.0, n_cpgs=200)
    assert len(cohort) == len(sheet) == 1077
    assert cohort.samples["label"].nunique() == 65
    pd.testing.assert_series_equal(
        cohort.samples["label"].value_counts().sort_index(),
        sheet["label"].value_counts().sort_index(),
    )
    assert (cohort.samples["label"] == "DSRCT").sum() == 26
    assert set(cohort.samples["array_type"]) == {"450k", "epic"}
    assert cohort.samples["material"].value_counts()["FFPE"] == 983


def test_columns_are_drawn_as_an_array_has_them_not_by_signal():
    world = make_world(0)
    both = world.on("450k") & world.on("epic")
    array = world.array_cpgs[both[world.array_cpgs]]
    columns = select_columns(world, 20_000, seed=0)
    assert len(columns) == 20_000 and np.isin(columns, array).all()
    # The share of columns with class signal is the array's own share, within
    # sampling error (a label-informed choice would be many times larger).
    array_share = np.isin(array, world.informative).mean()
    column_share = np.isin(columns, world.informative).mean()
    assert 0.02 < array_share < 0.08
    assert abs(column_share - array_share) < 4 * np.sqrt(array_share / 20_000)
    assert len(select_columns(world, None, seed=0)) == len(array) == 450_161
    oracle = select_columns(world, 2_000, seed=0, oracle_share=0.5)
    assert np.isin(oracle, world.informative).mean() == pytest.approx(0.5, abs=0.03)


@pytest.mark.slow
def test_cohort_columns_are_measured_on_both_arrays_and_ffpe_fails_more():
    cohort = build_cohort(seed=0, scale=0.2, n_cpgs=3000, classes=["DSRCT", "EWS", "LMS"])
    table = load_manifest().table.loc[cohort.betas.columns]
    assert (table["on_450k"] & table["on_epic"]).all()
    values = cohort.betas.to_numpy()
    assert np.nanmin(values) >= 0.0 and np.nanmax(values) <= 1.0
    failed = np.isnan(values).mean(axis=1)
    assert failed.max() < 0.06
    samples = cohort.samples
    degraded = (samples["material"] == "FFPE") & (samples["degradation"] > 0.5)
    frozen = samples["material"] == "frozen"
    assert degraded.any() and frozen.any()
    assert failed[degraded.to_numpy()].mean() > failed[frozen.to_numpy()].mean()
    assert (samples.loc[~(samples["material"] == "FFPE"), "degradation"] == 0).all()
    assert set(samples.columns) >= {"supplier", "sex", "degradation", "purity", "array_type"}


def test_betas_are_bimodal():
    cohort = build_cohort(seed=0, scale=0.1, n_cpgs=2000, classes=["SS"])
    values = cohort.betas.to_numpy().ravel()
    values = values[~np.isnan(values)]
    low, mid, high = (
        (values < 0.3).mean(),
        ((values > 0.4) & (values < 0.6)).mean(),
        (values > 0.7).mean(),
    )
    assert low > mid and high > mid


@pytest.mark.slow
@pytest.mark.parametrize("array", list(ArrayType))
def test_full_array_profiles(array):
    ids, values = generate_profile("DSRCT", array, sample_seed=1)
    expected = load_manifest().array_probe_ids(array)
    assert len(ids) == len(values) == len(expected)
    assert (ids == expected).all()
    assert values.dtype == np.float32
    assert 0.0 < np.isnan(values).mean() < 0.02


def test_unknown_class_and_bad_scale_are_errors():
    with pytest.raises(ClassifierError, match="unknown class"):
        generate_profile("NOT_A_CLASS", "epic")
    with pytest.raises(ClassifierError, match="scale must be in"):
        build_cohort(scale=0)
    with pytest.raises(ClassifierError, match="unknown class codes"):
        build_cohort(scale=0.1, classes=["XYZ"])
    with pytest.raises(ClassifierError, match=r"oracle_share must be in \(0, 1\], got 1.5"):
        build_cohort(scale=0.1, n_cpgs=200, classes=["SS"], oracle_share=1.5)


@pytest.mark.slow
def test_cli_writes_cohort_and_profile(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "c"), "--scale", "0.05", "--n-cpgs", "200",
                 "--classes", "DSRCT,EWS"]) == 0  # fmt: skip
    assert (tmp_path / "c" / "betas.parquet").is_file()
    samples = pd.read_csv(tmp_path / "c" / "samples.csv")
    assert set(samples.columns) >= {"sample_id", "label", "family", "array_type", "purity"}

    assert main(["--out", str(tmp_path / "p.json"), "--profile", "DSRCT", "--array", "450k",
                 "--diagnosis", "DSRCT"]) == 0  # fmt: skip
    body = json.loads((tmp_path / "p.json").read_text())
    profile = body["profiles"][0]
    assert profile["diagnosis"] == "DSRCT"
    assert len(profile["probe_ids"]) == len(profile["values"]) == 485_577

    assert main(["--out", str(tmp_path / "x"), "--scale", "2"]) == 2
    assert "scale must be in" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path / "y"), "--n-cpgs", "many"])
    assert "--n-cpgs takes a number of CpGs or 'all', got 'many'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--out", "{tmp}/c", "--array", "450k"], "--array only applies with --profile"),
        (
            ["--out", "{tmp}/c", "--purity", "0.3", "--form", "object"],
            "--purity, --form only apply with --profile",
        ),
        (["--out", "{file}"], "existing.txt is a file; give a directory for the cohort"),
        (["--out", "{file}/c"], "c cannot be created: {file} is a file"),
        (["--out", "{tmp}", "--profile", "DSRCT"], "is a directory; a profile (JSON) is written"),
        (["--out", "{file}/p.json", "--profile", "DSRCT"], "p.json cannot be created: {file} is"),
        (["--out", "{tmp}/p.json", "--profile", "DSRCT", "--purity", "1.5"], "(0, 1], got 1.5"),
        (["--out", "{tmp}/p.json", "--profile", "DSRCT", "--purity", "0"], "(0, 1], got 0"),
    ],
)
def test_cli_refuses_options_it_would_ignore_or_misuse(tmp_path, capsys, args, says):
    existing = tmp_path / "existing.txt"
    existing.write_text("kept")
    argv = [a.format(tmp=tmp_path, file=existing) for a in args]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert says.format(tmp=tmp_path, file=existing) in err and "Traceback" not in err
    assert existing.read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.txt"]
