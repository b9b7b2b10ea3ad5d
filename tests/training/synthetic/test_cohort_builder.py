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


@pytest.mark.slow
def test_missing_probes_follow_the_array():
    cohort = build_cohort(seed=0, scale=0.1, n_cpgs=3000, classes=["DSRCT", "EWS", "LMS"])
    table = load_manifest().table.loc[cohort.betas.columns]
    epic_only = table["on_epic"].to_numpy() & ~table["on_450k"].to_numpy()
    k450_only = table["on_450k"].to_numpy() & ~table["on_epic"].to_numpy()
    assert epic_only.any() and k450_only.any()
    values = cohort.betas.to_numpy()
    is_450k = (cohort.samples["array_type"] == "450k").to_numpy()
    assert np.isnan(values[np.ix_(is_450k, epic_only)]).all()
    assert np.isnan(values[np.ix_(~is_450k, k450_only)]).all()
    shared = ~(epic_only | k450_only)
    # shared probes are measured, but for a small fraction of failed probes
    assert 0.0 < np.isnan(values[:, shared]).mean() < 0.05
    assert np.nanmin(values) >= 0.0 and np.nanmax(values) <= 1.0


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
