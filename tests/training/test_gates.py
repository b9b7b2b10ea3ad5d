import pytest

from classifier.errors import ClassifierError
from classifier.metrics import REPORT_METRICS, ClassFigures, ClassificationReport
from classifier.model_metrics import Evaluation
from training.gates import DEFAULT_GATES, GateDecision, check_gates, load_gates

GATES = {
    "calibrated": {"brier_max": 0.2, "accuracy_min": 0.9},
    "per_class": {"DSRCT_sensitivity_min": 0.8},
}


def _evaluation(per_class=None, **figures):
    """An evaluation whose calibrated report has ``figures`` (the others not measured)."""
    unmeasured = dict.fromkeys(REPORT_METRICS[1:])
    report = ClassificationReport(n_samples=20, **(unmeasured | figures), per_class=per_class or {})
    return Evaluation(report, report, report, reliability=None, outer_folds=3, inner_folds=2)


def _class(sensitivity):
    return ClassFigures(sensitivity=sensitivity, precision=None, support=5)


def _metrics(brier=0.1, accuracy=0.95, dsrct=0.9):
    return _evaluation(brier=brier, accuracy=accuracy, per_class={"DSRCT": _class(dsrct)})


def test_all_gates_pass():
    decision = check_gates(_metrics(), GATES)
    assert decision.passed
    assert any("DSRCT sensitivity = 0.9000" in r and "pass" in r for r in decision.reasons)


@pytest.mark.parametrize(
    ("metrics", "failing"),
    [
        (_metrics(brier=0.3), "calibrated brier"),
        (_metrics(accuracy=0.5), "calibrated accuracy"),
        (_metrics(dsrct=0.5), "DSRCT sensitivity"),
    ],
)
def test_one_failing_gate_blocks_promotion(metrics, failing):
    decision = check_gates(metrics, GATES)
    assert not decision.passed
    assert any(r.startswith(failing) and r.endswith("FAIL") for r in decision.reasons)


def test_no_evaluation_never_promotes():
    decision = check_gates(None, GATES)
    assert not decision.passed
    assert "no nested cross-validation" in decision.reasons[0]


def test_nan_metric_fails():
    assert not check_gates(_metrics(accuracy=float("nan")), GATES).passed


def test_default_gates_file_is_valid():
    gates = load_gates(DEFAULT_GATES)
    assert "brier_max" in gates["calibrated"]
    assert "DSRCT_sensitivity_min" in gates["per_class"]


def test_bad_gates_files(tmp_path):
    with pytest.raises(ClassifierError, match="not found"):
        load_gates(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[calibrated\n")
    with pytest.raises(ClassifierError, match="not valid TOML"):
        load_gates(bad)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[calibrated]\nbrier_mx = 0.2\n", r"'brier_mx' must end in _min or _max, not _mx"),
        ("[calibratd]\nbrier_max = 0.2\n", r"\[calibratd\] is not a section of gates"),
        ("brier_max = 0.2\n", r"\[brier_max\] is not a section"),  # outside any section
        ('[calibrated]\nbrier_max = "0.2"\n', r"'brier_max' must be a number, not '0.2'"),
        ("[per_class]\nDSRCT_sensitivity_min = true\n", r"must be a number, not True"),
        ("[calibrated]\nacuracy_min = 0.8\n", r"'acuracy_min' names no metric 'acuracy' \(known"),
        ("[per_class]\nDSRCT_sensitivty_min = 0.8\n", r"names no metric 'sensitivty'"),
    ],
)
def test_a_malformed_gates_file_is_refused_when_read(tmp_path, text, message):
    # Before any training: a typo would otherwise be found after the folds, or gate nothing.
    path = tmp_path / "gates.toml"
    path.write_text(text)
    with pytest.raises(ClassifierError, match=message) as caught:
        load_gates(path)
    assert str(caught.value).startswith(f"quality gates file {path}: ")


def test_class_code_with_underscores_is_gated_not_skipped():
    metrics = _evaluation(per_class={"CS_IDH_A": _class(0.5)})
    decision = check_gates(metrics, {"per_class": {"CS_IDH_A_sensitivity_min": 0.8}})
    assert not decision.passed
    assert decision.reasons == ["CS_IDH_A sensitivity = 0.5000 (must be >= 0.8): FAIL"]


def test_calibrated_metric_with_underscores_is_parsed_from_the_right():
    metrics = _evaluation(classified_accuracy=0.97)
    decision = check_gates(metrics, {"calibrated": {"classified_accuracy_min": 0.95}})
    assert decision.passed
    assert decision.reasons[0].startswith("calibrated classified_accuracy = 0.9700")


def test_gate_on_a_class_absent_from_the_cohort_is_skipped_and_said():
    decision = check_gates(_metrics(), {"per_class": {"CS_IDH_A_sensitivity_min": 0.8}})
    assert decision.passed
    assert decision.reasons == ["CS_IDH_A sensitivity: class absent from this cohort, gate skipped"]


@pytest.mark.parametrize(
    ("gates", "message"),
    [
        ({"per_class": {"DSRCT_min": 0.8}}, r"'DSRCT_min' must have the form <class>_<metric>_"),
        ({"per_class": {"ABSENT_sensitivity_least": 0.8}}, r"must end in _min or _max, not _least"),
        ({"calibrated": {"brier": 0.2}}, r"\[calibrated\] 'brier' must have the form <metric>_"),
    ],
)
def test_malformed_gate_keys_fail_loudly_naming_the_key(gates, message):
    # Also when the class is absent and when no evaluation ran: never silently skipped.
    for metrics in (_metrics(), None):
        with pytest.raises(ClassifierError, match=message):
            check_gates(metrics, gates)


@pytest.mark.parametrize(
    ("passed", "registered", "outcome"),
    [(True, True, "promoted"), (False, True, "not promoted"), (True, False, "not registered")],
)
def test_outcome_names_the_champion_decision(passed, registered, outcome):
    assert GateDecision(passed, []).outcome(registered) == outcome
