"""Words the review pages use for the results' codes."""

from __future__ import annotations

import re
import uuid

import pytest

from api.ui.templating import dsrct_label, verdict_label


@pytest.mark.parametrize(
    ("verdict", "submitted", "words"),
    [
        ("diagnosis_unrecognised", None, "no diagnosis submitted"),
        ("diagnosis_unrecognised", "  ", "no diagnosis submitted"),
        ("diagnosis_unrecognised", "spindle cell thing", "diagnosis not recognised"),
        ("reclassified", None, "reclassified"),
        ("not_classifiable", "DSRCT", "not classifiable"),
    ],
)
def test_verdict_words_tell_a_missing_diagnosis_from_an_unrecognised_one(verdict, submitted, words):
    assert verdict_label(verdict, submitted) == words


@pytest.mark.parametrize(
    ("diagnosis", "words"),
    [(None, "no diagnosis submitted"), ("a tumour of some kind", "diagnosis not recognised")],
)
def test_worklist_and_case_page_say_which(client, world, api_key, diagnosis, words):
    accession = f"UI-{uuid.uuid4().hex[:8]}"
    profile = {"sample_id": accession, "betas": world.betas("DSRCT", seed=3)}
    if diagnosis is not None:
        profile["diagnosis"] = diagnosis
    answer = client.post("/v1/classify", json={"profiles": [profile]})
    assert answer.status_code == 200, answer.text
    result = answer.json()["results"][0]
    assert result["reclassification"]["verdict"] == "diagnosis_unrecognised"
    reviewer = api_key("reviewer", "dr-words")
    case = client.get(f"/ui/cases/{result['result_id']}", headers=reviewer)
    badge = re.search(r'data-testid="reclassification-verdict">([^<]+)<', case.text)
    assert badge is not None and badge.group(1) == words
    worklist = client.get("/ui/", params={"accession": accession}, headers=reviewer)
    assert re.search(rf"<td>{words}</td>", worklist.text)


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("confirmed", "EWSR1::WT1 shown"),
        ("consistent_unconfirmed", "fits DSRCT, not proven"),
        ("inconsistent", "findings against DSRCT"),
        ("not_assessed", "not assessed"),
    ],
)
def test_the_dsrct_check_is_worded_as_evidence_for_dsrct(status, words):
    assert dsrct_label(status) == words
