"""End to end: the training CLI on a tiny cohort, tracked in a throwaway MLflow store."""

import json

import pytest

from classifier.bundle import load_bundle
from classifier.cohort import write_cohort
from training.train import main

PERMISSIVE = """
[calibrated]
brier_max = 2.0
[per_class]
DSRCT_sensitivity_min = 0.0
"""
STRICT = """
[calibrated]
brier_max = 0.0
"""


@pytest.fixture
def cohort_dir(tiny_cohort, tmp_path):
    return write_cohort(tiny_cohort, tmp_path / "cohort")


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


def _train(cohort_dir, out, gates_file, *extra):
    return main(
        [
            "--cohort", str(cohort_dir), "--out", str(out), "--outer-folds", "3",
            "--inner-folds", "2", "--n-features", "150", "--gates", str(gates_file),
            "--register", "tiny-sarcoma", "--experiment", "test", *extra,
        ]
    )  # fmt: skip


@pytest.mark.slow
def test_training_tracks_registers_and_promotes(cohort_dir, mlflow_store, tmp_path, capsys):
    from mlflow import MlflowClient

    gates = tmp_path / "gates.toml"
    gates.write_text(PERMISSIVE)
    assert _train(cohort_dir, tmp_path / "m1", gates) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["promotion"]["passed"] is True
    assert summary["mlflow"]["registered_version"] == "1"

    metrics = json.loads((tmp_path / "m1" / "metrics.json").read_text())
    assert metrics["evaluation"]["outer_folds"] == 3
    assert set(metrics["evaluation"]) >= {"raw", "calibrated", "temperature"}
    bundle = load_bundle(tmp_path / "m1")
    assert bundle.version == "1"
    assert bundle.provenance["mlflow"]["run_id"] == summary["mlflow"]["run_id"]
    assert len(bundle.provenance["training_data"]["sha256"]) == 64

    client = MlflowClient(mlflow_store)
    assert str(client.get_model_version_by_alias("tiny-sarcoma", "champion").version) == "1"
    run = client.get_run(summary["mlflow"]["run_id"])
    assert "calibrated_brier" in run.data.metrics and "raw_brier" in run.data.metrics
    assert run.data.tags["champion_decision"] == "promoted"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "figures")}
    assert artifacts == {
        "figures/reliability.png",
        "figures/confusion_matrix.png",
        "figures/score_distribution.png",
    }

    # A second run that fails its gates is registered but the alias stays on version 1.
    strict = tmp_path / "strict.toml"
    strict.write_text(STRICT)
    assert _train(cohort_dir, tmp_path / "m2", strict) == 0
    capsys.readouterr()
    assert str(client.get_model_version_by_alias("tiny-sarcoma", "champion").version) == "1"
    versions = client.search_model_versions("name='tiny-sarcoma'")
    assert sorted(str(v.version) for v in versions) == ["1", "2"]


@pytest.mark.slow
def test_logged_pyfunc_model_predicts(cohort_dir, mlflow_store, tmp_path, capsys):
    import mlflow.pyfunc
    import numpy as np

    gates = tmp_path / "gates.toml"
    gates.write_text(PERMISSIVE)
    assert _train(cohort_dir, tmp_path / "m", gates) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    model = mlflow.pyfunc.load_model(summary["mlflow"]["model_uri"])
    bundle = load_bundle(tmp_path / "m")
    out = model.predict(np.asarray(bundle.estimator.medians_[None, :], dtype=np.float32))
    assert list(out.columns)[:5] == ["top_class", "score", "family", "family_score", "decision"]
    assert out.loc[0, "top_class"] in bundle.classes


def test_missing_cohort_is_a_clear_error(tmp_path, capsys):
    code = main(["--cohort", str(tmp_path / "nope"), "--no-tracking", "--out", str(tmp_path / "m")])
    assert code == 2
    assert "has no betas.parquet" in capsys.readouterr().err


def test_unknown_label_column_is_a_clear_error(cohort_dir, tmp_path, capsys):
    code = main(
        ["--cohort", str(cohort_dir), "--label-column", "grade", "--no-tracking",
         "--out", str(tmp_path / "m")]
    )  # fmt: skip
    assert code == 2
    assert "no label column 'grade'" in capsys.readouterr().err


def test_bad_arguments_exit_non_zero(tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["--cohort", str(tmp_path), "--outer-folds", "1"])
    assert exc.value.code == 2


def test_trains_unchanged_on_a_users_small_cohort(tmp_path, capsys):
    """A few hundred CpGs, a handful of classes with the user's own labels."""
    import numpy as np
    import pandas as pd

    from classifier.cohort import Cohort
    from classifier.manifest import DEFAULT_FILTERS, load_manifest

    rng = np.random.default_rng(0)
    labels = np.repeat(["tumour type A", "tumour type B", "tumour type C", "rare D"], [8, 8, 8, 4])
    ids = [f"cg{n:08d}" for n in rng.choice(10**7, 300, replace=False)]
    centres = {lab: rng.uniform(0.1, 0.9, 300) for lab in np.unique(labels)}
    values = np.array([centres[lab] + rng.normal(0, 0.05, 300) for lab in labels]).clip(0, 1)
    sample_ids = [f"S{i}" for i in range(len(labels))]
    cohort = Cohort(
        betas=pd.DataFrame(values, index=pd.Index(sample_ids, name="sample_id"), columns=ids),
        samples=pd.DataFrame({"label": labels}, index=pd.Index(sample_ids, name="sample_id")),
    )
    cohort_dir = write_cohort(cohort, tmp_path / "user")
    code = main(["--cohort", str(cohort_dir), "--no-tracking", "--out", str(tmp_path / "m")])
    assert code == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    # "rare D" has 4 samples: the outer folds are lowered to 4, and the output says so
    assert "outer folds lowered from 5 to 4" in captured.err
    assert summary["training"]["n_classes"] == 4
    # every CpG is kept but those the default probe filters remove
    filtered = pd.Index(ids).isin(load_manifest().excluded(DEFAULT_FILTERS)).sum()
    assert summary["training"]["n_cpgs_model"] == 300 - filtered
    assert summary["calibrated"]["accuracy"] > 0.9
    bundle = load_bundle(tmp_path / "m")
    assert set(bundle.class_families) == set(bundle.classes)  # unknown labels: own family
