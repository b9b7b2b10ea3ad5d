"""End to end: the training CLI on a tiny cohort, tracked in a throwaway MLflow store."""

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifier.bundle import load_bundle
from classifier.manifest import DEFAULT_FILTERS, load_manifest
from training.cohort import Cohort, write_cohort
from training.train import main

# Gates a sound model on the tiny cohort clears (calibrated Brier about 0.23, accuracy
# about 0.84, DSRCT sensitivity about 0.9) and a broken one does not: uniform scores
# give a Brier of 5/6, the forest's uncalibrated scores about 0.46.
PERMISSIVE = """
[calibrated]
brier_max = 0.4
accuracy_min = 0.7
[per_class]
DSRCT_sensitivity_min = 0.6
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


def _train(cohort_dir, out, gates_file, *extra, register="tiny-sarcoma"):
    return main(
        [
            "--cohort", str(cohort_dir), "--out", str(out), "--outer-folds", "3",
            "--inner-folds", "2", "--n-features", "150", "--gates", str(gates_file),
            "--experiment", "test", *(["--register", register] if register else []), *extra,
        ]
    )  # fmt: skip


def metrics_coverage(bundle_dir):
    """The conformal coverage recorded in a bundle's metrics.json."""
    return json.loads((bundle_dir / "metrics.json").read_text())["assessment"]["conformal"][
        "coverage"
    ]


def _download(run_id, path, tmp_path):
    import mlflow.artifacts

    return Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path,
                                                    dst_path=str(tmp_path)))  # fmt: skip


def _user_cohort(tmp_path, *, extra_ids=(), samples=None):
    """A user's cohort: a few hundred CpGs, a handful of classes with their own labels."""
    rng = np.random.default_rng(0)
    labels = np.repeat(["tumour type A", "tumour type B", "tumour type C", "rare D"], [8, 8, 8, 4])
    ids = [f"cg{n:08d}" for n in rng.choice(10**7, 300, replace=False)] + list(extra_ids)
    centres = {lab: rng.uniform(0.1, 0.9, len(ids)) for lab in np.unique(labels)}
    values = np.array([centres[lab] + rng.normal(0, 0.05, len(ids)) for lab in labels]).clip(0, 1)
    index = pd.Index([f"PATIENT-{i:03d}" for i in range(len(labels))], name="sample_id")
    sheet = pd.DataFrame({"label": labels} | (samples or {}), index=index)
    cohort = Cohort(betas=pd.DataFrame(values, index=index, columns=ids), samples=sheet)
    return write_cohort(cohort, tmp_path / "user"), ids


@pytest.mark.slow
def test_training_tracks_registers_and_promotes(cohort_dir, mlflow_store, tmp_path, capsys):
    from mlflow import MlflowClient

    gates = tmp_path / "gates.toml"
    gates.write_text(PERMISSIVE)
    assert _train(cohort_dir, tmp_path / "m1", gates) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["promotion"]["passed"] is True
    assert summary["mlflow"]["registered_version"] == "1"
    # What MODEL_URI takes, beside MLflow 3's logged-model URI.
    assert summary["mlflow"]["registered_model_uri"] == "models:/tiny-sarcoma/1"
    assert summary["mlflow"]["model_uri"].startswith("models:/m-")

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
    assert run.data.params["cohort"] == str(cohort_dir)  # as written, not JSON-quoted
    assert run.data.tags["champion_decision"] == "promoted"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "figures")}
    assert artifacts == {
        "figures/reliability.png",
        "figures/confusion_matrix.png",
        "figures/score_distribution.png",
        # the assessment's (docs/evaluation.md)
        "figures/per_class_sensitivity.png",
        "figures/robustness_missing.png",
        "figures/robustness_purity.png",
        "figures/conformal_per_class.png",
    }
    assert run.data.metrics["conformal_coverage"] == metrics_coverage(tmp_path / "m1")
    assert "qc_min_coverage" in run.data.metrics
    assessment = json.loads(
        _download(run.info.run_id, "evaluation/assessment.json", tmp_path / "a1").read_text()
    )
    assert assessment["qc"] == load_bundle(tmp_path / "m1").qc_thresholds.to_json()

    # The bundle logged in MLflow is the final one, as written to disk last.
    logged = _download(run.info.run_id, "bundle", tmp_path / "logged")
    meta = json.loads((logged / "bundle.json").read_text())
    assert meta["version"] == "1"
    assert meta["provenance"]["mlflow"]["run_id"] == run.info.run_id
    assert meta["provenance"]["mlflow"]["champion"] is True
    logged_metrics = json.loads((logged / "metrics.json").read_text())
    assert logged_metrics["promotion"]["passed"] is True
    assert logged_metrics["promotion"]["decision"] == "promoted"
    assert logged_metrics["mlflow"]["registered_version"] == "1"
    assert logged_metrics == json.loads((tmp_path / "m1" / "metrics.json").read_text())
    assert load_bundle(logged).version == "1"
    promotion = json.loads(
        (_download(run.info.run_id, "evaluation/promotion.json", tmp_path / "p1")).read_text()
    )
    assert (promotion["decision"], promotion["moved"], promotion["version"]) == (
        "promoted",
        True,
        "1",
    )

    # A second run that fails its gates is registered but the alias stays on version 1.
    strict = tmp_path / "strict.toml"
    strict.write_text(STRICT)
    assert _train(cohort_dir, tmp_path / "m2", strict) == 0
    capsys.readouterr()
    assert str(client.get_model_version_by_alias("tiny-sarcoma", "champion").version) == "1"
    versions = client.search_model_versions("name='tiny-sarcoma'")
    assert sorted(str(v.version) for v in versions) == ["1", "2"]
    second = json.loads((tmp_path / "m2" / "metrics.json").read_text())
    assert second["promotion"]["decision"] == "not promoted"
    assert client.get_run(second["mlflow"]["run_id"]).data.tags["champion_decision"] == (
        "not promoted"
    )


@pytest.mark.slow
def test_unregistered_run_logs_its_gate_decision_and_a_pyfunc_model(
    cohort_dir, mlflow_store, tmp_path, capsys
):
    import mlflow.pyfunc
    from mlflow import MlflowClient

    gates = tmp_path / "gates.toml"
    gates.write_text(PERMISSIVE)
    assert _train(cohort_dir, tmp_path / "m", gates, register=None) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["promotion"]["passed"] is True
    assert summary["promotion"]["decision"] == "not registered"
    assert summary["mlflow"]["registered_version"] is None
    assert summary["mlflow"]["registered_model_uri"] is None

    # The gate verdict is logged even without --register, so runs can be compared.
    run_id = summary["mlflow"]["run_id"]
    tags = MlflowClient(mlflow_store).get_run(run_id).data.tags
    assert (tags["champion_decision"], tags["gates_passed"]) == ("not registered", "true")
    promotion = json.loads(
        _download(run_id, "evaluation/promotion.json", tmp_path / "p").read_text()
    )
    assert promotion["decision"] == "not registered" and promotion["gates_passed"] is True
    assert promotion["moved"] is False and promotion["reasons"]
    logged = _download(run_id, "bundle", tmp_path / "logged")
    assert json.loads((logged / "bundle.json").read_text())["provenance"]["mlflow"]["run_id"] == (
        run_id
    )

    model = mlflow.pyfunc.load_model(summary["mlflow"]["model_uri"])
    bundle = load_bundle(tmp_path / "m")
    out = model.predict(np.asarray(bundle.estimator.medians_[None, :], dtype=np.float32))
    assert list(out.columns)[:5] == ["top_class", "score", "family", "family_score", "decision"]
    assert out.loc[0, "top_class"] in bundle.classes


def test_missing_cohort_is_a_clear_error(tmp_path, capsys):
    out = ["--no-tracking", "--out", str(tmp_path / "m")]
    assert main(["--cohort", str(tmp_path / "nope"), *out]) == 2
    err = capsys.readouterr().err
    assert f"error: cohort directory {tmp_path / 'nope'} does not exist; a cohort is" in err
    (tmp_path / "notes.txt").write_text("x")
    assert main(["--cohort", str(tmp_path / "notes.txt"), *out]) == 2
    assert "notes.txt is a file, not a cohort directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["--cohort", str(tmp_path / "empty"), *out]) == 2
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


@pytest.mark.slow
def test_trains_unchanged_on_a_users_small_cohort(tmp_path, capsys):
    """A few hundred CpGs, a handful of classes with the user's own labels."""
    cohort_dir, ids = _user_cohort(tmp_path)
    code = main(["--cohort", str(cohort_dir), "--no-tracking", "--out", str(tmp_path / "m")])
    assert code == 0
    captured = capsys.readouterr()
    assert len(captured.out.strip().splitlines()) == 1  # progress goes to stderr
    summary = json.loads(captured.out.strip().splitlines()[-1])
    # "rare D" has 4 samples: the outer folds are lowered to 4, and the output says so
    # before the folds run, in a header giving the counts used.
    err = captured.err.splitlines()
    header = err.index("nested cross-validation: 4 outer x 3 inner")
    assert (
        err[header + 1]
        == "note: outer folds lowered from 5 to 4: class 'rare D' has only 4 samples"
    )
    assert err[header + 2].startswith("  outer fold 1/4 ")
    assert sum("outer folds lowered" in line for line in err) == 1
    assert summary["training"]["n_classes"] == 4
    # every CpG is kept but those the default probe filters remove
    filtered = pd.Index(ids).isin(load_manifest().excluded(DEFAULT_FILTERS)).sum()
    assert summary["training"]["n_cpgs_model"] == 300 - filtered
    # Fewer than the 10,000 of --n-features's default: said, not silent.
    assert (
        f"note: the model reads {300 - filtered} CpGs, not the 10000 of --n-features: only "
        "that many of the cohort's 300 pass the probe filters" in captured.err
    )
    assert summary["calibrated"]["accuracy"] > 0.9
    assert summary["promotion"]["decision"] == "not registered"
    bundle = load_bundle(tmp_path / "m")
    assert set(bundle.class_families) == set(bundle.classes)  # unknown labels: own family


@pytest.mark.slow
def test_final_fit_says_when_it_starts_and_how_long_it_took(tmp_path, capsys):
    cohort_dir, _ = _user_cohort(tmp_path)
    code = main(
        ["--cohort", str(cohort_dir), "--no-tracking", "--outer-folds", "2",
         "--out", str(tmp_path / "m")]
    )  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    start = next(i for i, line in enumerate(err) if line.startswith("final fit on all 28 samples"))
    assert "an outer fold took about" in err[start]
    assert re.fullmatch(r"final fit done in \d+ s", err[start + 1])
    assert "final_fit_seconds" in json.loads(captured.out.strip().splitlines()[-1])["training"]


@pytest.mark.slow
def test_reference_embedding_holds_no_sample_ids(tmp_path, capsys):
    cohort_dir, _ = _user_cohort(tmp_path)
    out = tmp_path / "m"
    assert main(["--cohort", str(cohort_dir), "--no-tracking", "--outer-folds", "0",
                 "--out", str(out)]) == 0  # fmt: skip
    capsys.readouterr()
    text = (out / "reference_embedding.csv").read_text()
    assert "PATIENT-" not in text
    embedding = load_bundle(out).reference_embedding
    assert list(embedding.columns) == ["label", "family", "x", "y"]
    assert len(embedding) == 28
    assert embedding.loc[0, "family"] == embedding.loc[0, "label"]  # unknown label: own family


@pytest.mark.slow
def test_families_follow_the_chosen_label_column(tmp_path, capsys):
    # The sheet's family column describes its "label" column, not "subtype".
    subtype = ["DSRCT"] * 8 + ["EWS"] * 8 + ["my own class"] * 12
    cohort_dir, _ = _user_cohort(
        tmp_path, samples={"family": ["SHEET_FAMILY"] * 28, "subtype": subtype}
    )
    out = tmp_path / "m"
    assert main(["--cohort", str(cohort_dir), "--no-tracking", "--outer-folds", "0",
                 "--label-column", "subtype", "--out", str(out)]) == 0  # fmt: skip
    capsys.readouterr()
    bundle = load_bundle(out)
    families = dict(zip(bundle.classes, bundle.class_families, strict=True))
    assert families == {"DSRCT": "ROUND_CELL", "EWS": "ROUND_CELL", "my own class": "my own class"}
    # With the default label column the sheet's families are used as given.
    assert main(["--cohort", str(cohort_dir), "--no-tracking", "--outer-folds", "0",
                 "--out", str(out), "--replace"]) == 0  # fmt: skip
    capsys.readouterr()
    assert set(load_bundle(out).class_families) == {"SHEET_FAMILY"}


@pytest.mark.slow
def test_probe_filters_can_be_chosen_or_switched_off(tmp_path, capsys):
    manifest = load_manifest()
    cohort_dir, ids = _user_cohort(tmp_path, extra_ids=manifest.excluded(["xy"])[:40])
    removed = {
        "none": 0,
        "xy": pd.Index(ids).isin(manifest.excluded(["xy"])).sum(),
        None: pd.Index(ids).isin(manifest.excluded(DEFAULT_FILTERS)).sum(),
    }
    assert removed["xy"] >= 40
    for filters, expected in (("none", ()), ("xy", ("xy",)), (None, DEFAULT_FILTERS)):
        out = tmp_path / f"m-{filters}"
        args = ["--cohort", str(cohort_dir), "--no-tracking", "--outer-folds", "0",
                "--out", str(out)] + (["--filters", filters] if filters else [])  # fmt: skip
        assert main(args) == 0
        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert summary["training"]["n_cpgs_model"] == len(ids) - removed[filters]
        assert tuple(load_bundle(out).estimator.filters) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("xy,bogus", r"unknown probe filter\(s\) \['bogus'\]; expected comma-separated names"),
        ("none,xy", r"'none' cannot be combined"),
        (",", r"unknown probe filter"),
    ],
)
def test_unknown_probe_filter_is_a_clear_error(tmp_path, capsys, value, message):
    with pytest.raises(SystemExit) as exc:
        main(["--cohort", str(tmp_path), "--filters", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert re.search(message, err)
    assert "snp_mnp" in err or "cannot be combined" in err  # the known names are listed


@pytest.mark.slow
def test_bundle_is_kept_when_mlflow_logging_fails(tmp_path, monkeypatch, capsys):
    import training.tracking
    from training.train import TrainConfig, train

    def failing_start_run(*args, **kwargs):
        raise RuntimeError("tracking server unreachable")

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setattr(training.tracking, "start_run", failing_start_run)
    cohort_dir, _ = _user_cohort(tmp_path)
    config = TrainConfig(cohort=cohort_dir, outer_folds=0, out=tmp_path / "m")
    with pytest.raises(RuntimeError, match="unreachable"):
        train(config)
    assert "bundle written untracked" in capsys.readouterr().err
    bundle = load_bundle(tmp_path / "m")
    assert bundle.version == "unregistered"
    assert "mlflow" not in bundle.provenance


class _FakeTracking:
    """Stands in for the steps of training.tracking; records what each was given."""

    def __init__(self, monkeypatch, fail_at=None):
        import contextlib

        import training.tracking

        self.calls: list[str] = []
        self.seen: dict = {}
        self.fail_at = fail_at

        @contextlib.contextmanager
        def start_run(experiment):
            self._step("start_run", experiment)
            yield "run-1"

        steps = {
            "configure_tracking": lambda: self._step("configure_tracking") or "sqlite:///fake.db",
            "start_run": start_run,
            "log_params": lambda params: self._step("log_params", params),
            "log_evaluation": lambda evaluation, gates, assessment=None: self._step(
                "log_evaluation", evaluation
            ),
            "log_figures": lambda figures: self._step("log_figures", figures),
            "log_model": self._log_model,
            "promote": lambda name, version, passed: self._step("promote", passed) or passed,
            "log_promotion": lambda tracked, decision, name: self._step("log_promotion", tracked),
            "log_bundle": lambda path: self._step("log_bundle", load_bundle(path)),
        }
        for name, step in steps.items():
            monkeypatch.setattr(training.tracking, name, step)

    def _step(self, name, seen=None):
        self.calls.append(name)
        self.seen[name] = seen
        if name == self.fail_at:
            raise RuntimeError(f"{name} failed")

    def _log_model(self, bundle, register_as):
        from training.tracking import LoggedModel

        self._step("log_model", load_bundle(bundle.path))
        return LoggedModel("models:/m-1", "3", f"models:/{register_as}/3")


@pytest.mark.slow
def test_a_tracked_run_logs_its_steps_in_order_and_the_final_bundle_last(tmp_path, monkeypatch):
    from training.train import TrainConfig, train

    fake = _FakeTracking(monkeypatch)
    cohort_dir, _ = _user_cohort(tmp_path)
    out = tmp_path / "m"
    metrics = train(TrainConfig(cohort=cohort_dir, outer_folds=0, out=out, register="mine"))
    assert fake.calls == [
        "configure_tracking", "start_run", "log_params", "log_evaluation", "log_figures",
        "log_model", "promote", "log_promotion", "log_bundle",
    ]  # fmt: skip
    # The copy logged with the model knows its run, not yet its registry version.
    copy = fake.seen["log_model"]
    assert copy.version == "unregistered"
    assert copy.provenance["mlflow"]["run_id"] == "run-1"
    assert copy.metrics.mlflow.champion_decision == "pending registration"
    # Without nested cross-validation the gates fail: the alias is not moved.
    assert fake.seen["promote"] is False
    assert fake.seen["log_promotion"].champion is False
    # The bundle logged last is the one on disk, with its version and decision.
    final, on_disk = fake.seen["log_bundle"], load_bundle(out)
    for bundle in (final, on_disk):
        assert bundle.version == "3"
        assert bundle.metrics.to_json() == metrics.to_json()
        assert bundle.provenance["mlflow"] == metrics.mlflow.to_json()
    assert metrics.mlflow.registered_model_uri == "models:/mine/3"
    assert metrics.mlflow.champion_decision == metrics.promotion.decision == "not promoted"


@pytest.mark.slow
@pytest.mark.parametrize("step", ["log_model", "log_bundle"])
def test_a_tracking_step_that_fails_leaves_the_bundle_untracked(
    tmp_path, monkeypatch, capsys, step
):
    """Also after the copy with the run id was written for the model: it is replaced."""
    from training.train import TrainConfig, train

    _FakeTracking(monkeypatch, fail_at=step)
    cohort_dir, _ = _user_cohort(tmp_path)
    with pytest.raises(RuntimeError, match=f"{step} failed"):
        train(TrainConfig(cohort=cohort_dir, outer_folds=0, out=tmp_path / "m", register="mine"))
    assert f"bundle written untracked to {tmp_path / 'm'}" in capsys.readouterr().err
    bundle = load_bundle(tmp_path / "m")
    assert bundle.version == "unregistered"
    assert "mlflow" not in bundle.provenance
    assert bundle.metrics.mlflow is None
    assert bundle.metrics.promotion.decision == "not registered"


# Bad input is refused before training: exit 2, one message, nothing written.


def _existing_bundle(path):
    """Stand-in for a bundle already in --out: files that a refused run must leave alone."""
    path.mkdir()
    (path / "bundle.json").write_text('{"version": "7"}')
    return {p.name: p.read_text() for p in path.iterdir()}


def _refused(args, capsys):
    """Run the CLI expecting argparse's refusal; return stderr."""
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert not re.search(r"^cohort .*: \d+ samples", err, re.M)  # training never started
    return err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "argument --register: the registered model name must not be empty"),
        ("   ", "argument --register: the registered model name must not be empty"),
        (
            "my/model:x",
            "argument --register: 'my/model:x' is not a name the MLflow Model Registry "
            "accepts: Invalid model name 'my/model:x'. Names cannot contain '/' or ':'.",
        ),
    ],
)
def test_invalid_registered_model_name_is_refused_before_training(
    tmp_path, mlflow_store, capsys, name, message
):
    cohort_dir, _ = _user_cohort(tmp_path)
    before = _existing_bundle(tmp_path / "m")
    err = _refused(["--cohort", str(cohort_dir), "--out", str(tmp_path / "m"),
                    "--register", name], capsys)  # fmt: skip
    assert f"error: {message}" in err
    assert {p.name: p.read_text() for p in (tmp_path / "m").iterdir()} == before
    assert not (tmp_path / "mlflow.db").exists()  # no run was started


@pytest.mark.parametrize("n_jobs", ["0", "-2"])
def test_n_jobs_must_be_positive_or_minus_one(tmp_path, capsys, n_jobs):
    cohort_dir, _ = _user_cohort(tmp_path)
    err = _refused(["--cohort", str(cohort_dir), "--no-tracking", "--out", str(tmp_path / "m"),
                    "--n-jobs", n_jobs], capsys)  # fmt: skip
    assert (
        f"error: --n-jobs must be a positive number of threads, or -1 for all cores; got {n_jobs}"
        in err
    )
    assert not (tmp_path / "m").exists()


def test_n_jobs_minus_one_means_all_cores(tmp_path):
    from training.config import parse_args

    out = ["--out", str(tmp_path / "m")]
    assert parse_args(["--cohort", str(tmp_path), "--n-jobs", "-1", *out]).n_jobs == -1
    assert parse_args(["--cohort", str(tmp_path), "--n-jobs", "3", *out]).n_jobs == 3


def test_out_that_is_a_file_is_refused_before_training(tmp_path, capsys):
    cohort_dir, _ = _user_cohort(tmp_path)
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    err = _refused(["--cohort", str(cohort_dir), "--no-tracking", "--out", str(target)], capsys)
    assert f"error: --out {target} is a file; give a directory for the bundle" in err
    err = _refused(["--cohort", str(cohort_dir), "--no-tracking",
                    "--out", str(target / "sub" / "m")], capsys)  # fmt: skip
    assert f"error: --out {target / 'sub' / 'm'} cannot be created: {target} is a file" in err
    assert target.read_text() == "keep me"


def test_a_bundle_in_out_is_replaced_only_when_asked(tmp_path, capsys, monkeypatch):
    from training import config as config_module

    cohort_dir, _ = _user_cohort(tmp_path)
    served = tmp_path / "models" / "sarcoma-classifier"
    served.mkdir(parents=True)
    (served / "bundle.json").write_text("{}")
    monkeypatch.setattr(config_module, "DEFAULT_BUNDLE", served)
    err = _refused(["--cohort", str(cohort_dir), "--no-tracking", "--out", str(served)], capsys)
    assert (
        f"error: --out {served} holds a model bundle already (the default model, which "
        "`make run` serves): give another --out for this model, or add --replace" in err
    )
    other = tmp_path / "mine"
    other.mkdir()
    (other / "bundle.json").write_text("{}")
    err = _refused(["--cohort", str(cohort_dir), "--no-tracking", "--out", str(other)], capsys)
    assert f"error: --out {other} holds a model bundle already: give another" in err
    assert (served / "bundle.json").read_text() == "{}"  # nothing was written
    config = config_module.parse_args(
        ["--cohort", str(cohort_dir), "--out", str(served), "--replace"]
    )
    assert config.out == served
    # An empty directory, or one without a bundle, is fine.
    assert (
        config_module.parse_args(["--cohort", str(cohort_dir), "--out", str(tmp_path)]).out
        == tmp_path
    )


def test_register_without_tracking_is_refused(tmp_path, capsys):
    cohort_dir, _ = _user_cohort(tmp_path)
    err = _refused(["--cohort", str(cohort_dir), "--no-tracking", "--register", "mine",
                    "--out", str(tmp_path / "m")], capsys)  # fmt: skip
    assert "error: --register needs MLflow tracking: drop --no-tracking, or drop --register" in err
    assert not (tmp_path / "m").exists()


def _user_cohort_with(tmp_path, edit, **kwargs):
    """The small user cohort (``kwargs`` as for ``_user_cohort``), betas changed by ``edit``."""
    from training.cohort import read_cohort

    cohort = read_cohort(_user_cohort(tmp_path, **kwargs)[0])
    values = cohort.betas.to_numpy().copy()
    edit(values)
    betas = pd.DataFrame(values, index=cohort.betas.index, columns=cohort.betas.columns)
    return write_cohort(Cohort(betas=betas, samples=cohort.samples), tmp_path / "edited")


def _cohort_refused(cohort_dir, tmp_path, capsys):
    """Run the CLI on a cohort it must refuse; return the error line."""
    before = _existing_bundle(tmp_path / "m")
    # --replace: the bundle already there would be overwritten by a model of this cohort.
    args = ["--cohort", str(cohort_dir), "--no-tracking", "--out", str(tmp_path / "m")]
    code = main([*args, "--replace"])
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert {p.name: p.read_text() for p in (tmp_path / "m").iterdir()} == before
    return err.strip().splitlines()[-1]


def test_cohort_too_sparse_for_cpg_selection_is_refused_before_the_folds(tmp_path, capsys):
    def four_failed_samples(values):
        values[[0, 9, 17, 25]] = np.nan  # 4 of 28: every CpG missing in 14 % > 10 %

    err = _cohort_refused(_user_cohort_with(tmp_path, four_failed_samples), tmp_path, capsys)
    assert err == (
        f"error: cohort {tmp_path / 'edited'}: no CpG is measured in at least 90% of the 28 "
        "training samples, the share CpG selection requires: of 300 CpGs, the best-measured is "
        "measured in 24 samples; a median sample has 100% of its CpGs measured; 4 samples have "
        "no measured CpG at all, e.g. ['PATIENT-000', 'PATIENT-009', 'PATIENT-017']. Remove "
        "the samples that failed, or check that the beta values were imported correctly"
    )


def test_mostly_unmeasured_cohort_is_refused(tmp_path, capsys):
    def mostly_nan(values):
        values[np.random.default_rng(1).random(values.shape) < 0.95] = np.nan

    err = _cohort_refused(_user_cohort_with(tmp_path, mostly_nan), tmp_path, capsys)
    assert "no CpG is measured in at least 90% of the 28 training samples" in err
    assert re.search(r"a median sample has [0-9]% of its CpGs measured", err)


@pytest.mark.slow
def test_sparse_cpgs_left_by_the_probe_filters_are_a_clear_error(tmp_path, capsys):
    """Only filtered probes are well measured: the selection itself refuses, still exit 2."""
    xy = load_manifest().excluded(["xy"])[:40]

    def sparse_unless_xy(values):
        values[:, :300][np.random.default_rng(2).random((28, 300)) < 0.5] = np.nan

    edited = _user_cohort_with(tmp_path, sparse_unless_xy, extra_ids=xy)
    before = _existing_bundle(tmp_path / "m")
    code = main(["--cohort", str(edited), "--no-tracking", "--outer-folds", "0",
                 "--out", str(tmp_path / "m"), "--replace"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert (
        err.strip().splitlines()[-1].startswith("error: no CpG is measured in at least 90% of the ")
    )
    assert {p.name: p.read_text() for p in (tmp_path / "m").iterdir()} == before


def test_out_of_range_beta_is_refused_as_the_import_does(tmp_path, capsys):
    def one_and_a_half(values):
        values[2, 5] = 1.5

    edited = _user_cohort_with(tmp_path, one_and_a_half)
    column = pd.read_parquet(edited / "betas.parquet").columns[6]
    err = _cohort_refused(edited, tmp_path, capsys)
    assert err == (
        f"error: {edited / 'betas.parquet'}: 1 value(s) outside [0, 1], e.g. 1.5 at row "
        f"'PATIENT-002', column '{column}' (beta values are expected, not M-values or "
        "percentages)"
    )


def test_undocumented_array_type_is_refused(tmp_path, capsys):
    cohort_dir, _ = _user_cohort(tmp_path, samples={"array_type": ["850k"] * 28})
    err = _cohort_refused(cohort_dir, tmp_path, capsys)
    assert err == (
        f"error: {cohort_dir / 'samples.csv'}: 28 sample(s) have an unknown array_type, e.g. "
        "'850k' for sample 'PATIENT-000'; expected one of ['450k', 'epic', 'epicv2']; "
        "write 'epic' for '850k'"
    )


@pytest.mark.slow
def test_a_tracked_run_shows_no_mlflow_notices_that_do_not_apply(tmp_path):
    """As a user sees it (a process of its own: pytest would capture the warnings)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "training.train", "--cohort", str(root / "data_samples" /
         "tiny_cohort"), "--out", str(tmp_path / "m"), "--outer-folds", "0",
         "--n-features", "200", "--experiment", "quiet", "--register", "quiet-model"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Created version '1' of model 'quiet-model'" in done.stderr
    # Our explicit signature replaces type-hint inference; the bundle is a pickle anyway.
    assert "type hints" not in done.stderr and "CloudPickle" not in done.stderr


def test_the_headline_keeps_its_format():
    """The last output line, from the metrics of a bundle written before they were typed."""
    from classifier.bundle import to_jsonable
    from classifier.model_metrics import ModelMetrics
    from training.train import summary

    data = Path(__file__).parents[1] / "classifier" / "data"
    metrics = json.loads((data / "bundle_before_typed_metrics" / "metrics.json").read_text())
    printed = (data / "headline_before_typed_metrics.json").read_text().strip()
    assert json.dumps(to_jsonable(summary(ModelMetrics.from_json(metrics)))) == printed


def _served_decisions_follow(bundle, cohort, threshold):
    calls = bundle.classify_aligned(bundle.estimator.align(cohort.betas))
    for call in calls:
        assert (call.decision == "match") == (call.score >= threshold)
    return calls


@pytest.mark.slow
def test_linear_learner_temperature_and_a_non_default_threshold_end_to_end(
    tiny_cohort, cohort_dir, tmp_path, capsys
):
    from classifier.calibration import TemperatureScaling

    args = ["--model", "linear", "--calibration", "temperature", "--threshold", "0.6",
            "--no-tracking", "--loco-every", "3", "--reference-map", "pca",
            "--leave-site-out-every", "4"]  # fmt: skip
    gates = tmp_path / "gates.toml"
    gates.write_text(PERMISSIVE)
    assert _train(cohort_dir, tmp_path / "m", gates, *args, register=None) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    bundle = load_bundle(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "bundle.json").read_text())
    assert (meta["learner"], meta["calibration"], meta["threshold"]) == (
        "linear",
        "temperature",
        0.6,
    )
    assert isinstance(bundle.estimator.calibrator_, TemperatureScaling)
    assert bundle.threshold == 0.6
    # The threshold reaches the evaluation: every per-class figure is counted at 0.6 ...
    assessment = bundle.metrics.assessment
    assert assessment.threshold == 0.6
    n = sum(c.support for c in assessment.per_class)
    per_class_share = sum(c.classified_fraction * c.support for c in assessment.per_class) / n
    assert summary["calibrated"]["classified_fraction"] == pytest.approx(per_class_share, abs=1e-4)
    # ... and the service's decisions.
    calls = _served_decisions_follow(bundle, tiny_cohort, 0.6)
    assert any(0.6 <= c.score < 0.9 for c in calls) or all(c.score >= 0.9 for c in calls)
    # The leave-classes-out fit ran (every 3rd of 6 classes: BCOR and EWS).
    assert assessment.ood.held_out_classes == ("BCOR", "EWS")
    assert 0.0 <= assessment.ood.auroc <= 1.0
    assert bundle.qc_thresholds == assessment.qc
    # The leave-sites-out fit ran: one robustness point, on held-out suppliers' profiles.
    (site,) = [p for p in assessment.robustness if p.kind == "leave_site_out"]
    assert site.level.endswith("held-out suppliers")
    assert site.figures.n > 0


@pytest.mark.slow
def test_xgboost_without_calibration_end_to_end(tiny_cohort, cohort_dir, tmp_path, capsys):
    args = ["--cohort", str(cohort_dir), "--out", str(tmp_path / "m"), "--model", "xgb",
            "--calibration", "none", "--outer-folds", "0", "--n-features", "150",
            "--no-tracking"]  # fmt: skip
    assert main(args) == 0
    bundle = load_bundle(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "bundle.json").read_text())
    assert (meta["learner"], meta["calibration"]) == ("xgb", "none")
    detail = bundle.estimator.predict_detail(tiny_cohort.betas.iloc[:5])
    # "none" passes the learner's scores through, renormalised.
    np.testing.assert_allclose(
        detail.calibrated, detail.raw / detail.raw.sum(axis=1, keepdims=True), rtol=1e-6
    )
    assert bundle.metrics.assessment is None and bundle.qc_thresholds is None
    _served_decisions_follow(bundle, tiny_cohort, 0.9)
