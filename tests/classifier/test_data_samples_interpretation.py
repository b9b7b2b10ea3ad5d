"""The data samples' diagnoses and findings read as data_samples/README.md documents.

The model's call depends on the trained model; what the service says beside a
confident call of the sample's true class does not, and is checked here.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from classifier.diagnoses import parse_diagnosis_code
from classifier.findings import parse_findings
from classifier.fusion_consistency import assess_fusion_consistency
from classifier.knowledge import load_knowledge
from classifier.reclassification import reclassify

SAMPLES = Path(__file__).resolve().parents[2] / "data_samples"


@pytest.mark.parametrize(
    ("file", "true_class", "verdict", "status", "weights", "flagged"),
    [
        ("dsrct_ewsr1_wt1.json", "DSRCT", "confirmed", "confirmed",
         ["specific_support", "compatible"], False),
        ("dsrct_submitted_as_ewing.json", "DSRCT", "reclassified", "consistent",
         ["compatible", "neutral"], False),
        ("ewing_with_ewsr1_wt1.json", "EWS", "confirmed", "inconsistent",
         ["strong_against"], True),
        ("leiomyosarcoma_low_purity.json", "LMS", "confirmed", "not_assessed", [], False),
        ("dsrct_mixed_evidence.json", "DSRCT", "reclassified", "discordant",
         ["compatible", "compatible", "weak_against", "neutral"], True),
        ("liposarcoma_coded_as_lipoma.json", "WDLPS", "reclassified", "confirmed",
         ["specific_support", "neutral"], False),
    ],
)  # fmt: skip
def test_sample_reads_as_documented(file, true_class, verdict, status, weights, flagged):
    (profile,) = orjson.loads((SAMPLES / file).read_bytes())["profiles"]
    kb = load_knowledge()
    r = reclassify(
        profile.get("diagnosis"),
        diagnosis_code=parse_diagnosis_code(profile.get("diagnosis_code")),
        top_class=true_class,
        decision="match",
        family=kb.family_of(true_class),
        family_score=0.98,
        score=0.95,
    )
    f = assess_fusion_consistency(
        top_class=true_class,
        decision="match",
        scores={true_class: 0.95, "DSRCT": 0.95 if true_class == "DSRCT" else 0.01},
        findings=parse_findings(profile["findings"]),
    )
    assert (str(r.verdict), str(f.status)) == (verdict, status)
    assert [str(e.weight) for e in f.evidence] == weights
    assert f.dsrct_check.flagged is flagged
