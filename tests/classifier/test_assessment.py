import json

from classifier.assessment import (
    Assessment,
    ClassAssessment,
    ConformalAssessment,
    GroupFigures,
    NeighbourAgreement,
    OodAssessment,
    RobustnessPoint,
)
from classifier.model_metrics import ModelMetrics
from classifier.qc_thresholds import QcThresholds

FIGURES = GroupFigures(10, 0.9, 0.05, 0.2, 0.7, 0.1, (0.02, 0.4), 0.01, 0.95)
FULL = Assessment(
    threshold=0.9,
    per_class=(
        ClassAssessment("DSRCT", 7, 6 / 7, (0.49, 0.97), 1.0, 6, 0.93, 0.71, 5, 0.0, (0.0, 0.43)),
    ),
    conformal=ConformalAssessment(
        0.05,
        "halves",
        0.95,
        (0.93, 0.96),
        1.4,
        {"DSRCT": [1.0, 7]},
        19,
        ("DSRCT",),
        0.6,
        "outer",
        0.9,
        1.2,
    ),
    ood=OodAssessment(0.01, 1077, "one fit", ("A", "B"), 30, 0.8, 0.4, 0.2, 0.1, 99.0),
    robustness=(RobustnessPoint("missing_random", "0.5", FIGURES),),
    neighbours=NeighbourAgreement(5, 0.8, 0.85, "tsne", 0.9, 0.4),
    qc=QcThresholds(0.8, 1.5, 1.1, "rule 1", "rule 2", "e1", "e2"),
    seconds={"fold_probes": 3.0},
)


def test_the_assessment_survives_json():
    data = json.loads(json.dumps(FULL.to_json()))
    assert Assessment.from_json(data) == FULL
    assert FULL.curve("missing_random") == [FULL.robustness[0]]
    assert FULL.curve("purity") == []


def test_a_bare_assessment_and_older_metrics_load():
    bare = Assessment(threshold=0.8, per_class=())
    assert set(bare.to_json()) == {"threshold", "per_class", "robustness"}
    assert Assessment.from_json(bare.to_json()) == bare
    metrics = ModelMetrics(assessment=FULL)
    assert ModelMetrics.from_json(json.loads(json.dumps(metrics.to_json()))) == metrics
    assert ModelMetrics.from_json({"evaluation": {}}).assessment is None


def test_unknown_keys_from_newer_code_are_ignored():
    data = FULL.to_json()
    data["ood"] = data["ood"] | {"something_new": 1}
    assert Assessment.from_json(data).ood == FULL.ood
