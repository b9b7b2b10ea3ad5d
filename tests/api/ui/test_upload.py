"""Reading the submit page's file and fields."""

from __future__ import annotations

import orjson
import pytest

from api.ui.upload import FormFindings, UploadError, classify_body, findings_of


def _profile(content: bytes, filename: str = "p.csv", **fields) -> dict:
    defaults = {"sample_id": "S1", "diagnosis": "", "findings": []}
    body = orjson.loads(classify_body(content, filename, **(defaults | fields)))
    (profile,) = body["profiles"]
    return profile


def test_a_tab_separated_table_with_missing_values():
    content = b"ID_REF\tVALUE\ncg00000029\t0.12\ncg00000108\t\ncg00000109\tNA\n"
    profile = _profile(content, "p.tsv")
    assert profile == {
        "sample_id": "S1",
        "probe_ids": ["cg00000029", "cg00000108", "cg00000109"],
        "values": [0.12, None, None],
    }


def test_columns_are_found_by_name_in_any_order():
    content = b"detection_p,beta,IlmnID\n0.01,0.5,cg00000029\n"
    assert _profile(content)["probe_ids"] == ["cg00000029"]
    assert _profile(content)["values"] == [0.5]


def test_comment_lines_and_semicolons():
    content = b"# exported by the lab\nprobe;beta\ncg00000029;0.5\n"
    assert _profile(content)["values"] == [0.5]


def test_form_fields_override_a_json_profile():
    doc = {"profiles": [{"sample_id": "FILE", "diagnosis": "x", "betas": {"cg00000029": 0.1}}]}
    profile = _profile(
        orjson.dumps(doc), "p.json", sample_id="FORM", diagnosis="Ewing sarcoma",
        findings=[{"kind": "ihc", "marker": "CD99", "result": "positive"}],
    )  # fmt: skip
    assert profile["sample_id"] == "FORM"
    assert profile["diagnosis"] == "Ewing sarcoma"
    assert profile["findings"][0]["marker"] == "CD99"
    assert profile["betas"] == {"cg00000029": 0.1}


def test_a_json_profile_keeps_its_own_fields_when_the_form_is_empty():
    doc = {"profiles": [{"sample_id": "FILE", "diagnosis": "DSRCT", "betas": {}}]}
    profile = _profile(orjson.dumps(doc), "p.json", sample_id="")
    assert (profile["sample_id"], profile["diagnosis"]) == ("FILE", "DSRCT")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"  \n", "the file is empty"),
        (b"one column only\ncg1\n", "neither JSON nor a table"),
        (b"probe_id,beta\n,0.4\n", "line 2: the probe id is empty"),
        (b"probe_id,beta\ncg1,0.4\ncg2,x\n", "line 3: the beta value 'x'"),
        (b"probe_id,b1,b2\ncg1,0.4,0.5\n", "2 value columns"),
        (b'["not", "an object"]', "a /v1/classify request body"),
        (b'{"profiles": []}', "a /v1/classify request body"),
        (
            b'{"profiles": [{"sample_id": "S", "betas": {"cg00000029": 0.1, "cg00000029": 0.9}}]}',
            "refused at profiles.0.betas.cg00000029: probe id given more than once",
        ),
    ],
)
def test_unreadable_files_say_why(content, message):
    with pytest.raises(UploadError, match=message.replace("(", r"\(")):
        classify_body(content, "p.csv", sample_id="S1", diagnosis="", findings=[])


def test_a_sample_id_is_required():
    with pytest.raises(UploadError, match="enter the sample or accession id"):
        classify_body(b"probe_id,beta\ncg1,0.4\n", "p.csv", sample_id="", diagnosis="", findings=[])


def test_findings_from_the_simple_fields():
    form = FormFindings(
        fusion=" EWSR1::WT1 ",
        fusion_method="rt_pcr",
        break_apart_gene="ewsr1",
        ihc_marker="WT1",
        ihc_epitope="N-terminal",
        ihc_result="negative",
    )
    assert findings_of(form) == [
        {"kind": "fusion", "name": "EWSR1::WT1", "method": "rt_pcr", "result": "detected"},
        {"kind": "break_apart", "gene": "EWSR1", "method": "fish", "result": "rearranged"},
        {"kind": "ihc", "marker": "WT1", "result": "negative", "epitope": "N-terminal"},
    ]
    assert findings_of(FormFindings()) == []
