import pytest

from classifier.errors import ClassifierError
from training.gates import DEFAULT_GATES, check_gates, load_gates

GATES = {
    "calibrated": {"brier_max": 0.2, "accuracy_min": 0.9},
    "per_class": {"DSRCT_sensitivity_min": 0.8},
}


def _metrics(brier=0.1, accuracy=0.95, dsrct=0.9):
    return {
        "calibrated": {
            "brier": brier,
            "accuracy": accuracy,
            "per_class": {"DSRCT": {"sensitivity": dsrct}},
        }
    }


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
    decision = check_gates({}, GATES)
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
