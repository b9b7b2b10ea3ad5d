"""Reading the submit page's file and fields."""

from __future__ import annotations

import math

import orjson
import pyarrow as pa
import pytest

from api.frame.request_body import BodyFormat
from api.ui.upload import ClassifyBody, FormFindings, UploadError, classify_body, findings_of


def _profile(content: bytes, filename: str = "p.csv", **fields) -> dict:
    defaults = {"sample_id": "S1", "diagnosis": "", "findings": []}
    return _read(classify_body(content, filename, **(defaults | fields)))


def _read(prepared: ClassifyBody) -> dict:
    """The profile of a prepared body as a JSON profile, whichever form it has."""
    if prepared.format is BodyFormat.JSON:
        (profile,) = orjson.loads(prepared.body)["profiles"]
        return profile
    (row,) = pa.ipc.open_stream(prepared.body).read_all().to_pylist()
    assert set(row) == {
        "sample_id",
        "diagnosis",
        "diagnosis_code",
        "findings",
        "probe_ids",
        "values",
    }
    profile = {"sample_id": row["sample_id"], "probe_ids": row["probe_ids"],
               "values": [None if math.isnan(v) else v for v in row["values"]]}  # fmt: skip
    if row["diagnosis"] is not None:
        profile["diagnosis"] = row["diagnosis"]
    if row["findings"] is not None:
        profile["findings"] = orjson.loads(row["findings"])
    if row["diagnosis_code"] is not None:
        profile["diagnosis_code"] = orjson.loads(row["diagnosis_code"])
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


_FILE_FINDINGS = [
    {"kind": "break_apart", "gene": "EWSR1", "method": "fish", "result": "rearranged"},
    {"kind": "ihc", "marker": "WT1", "epitope": "N-terminal", "result": "negative"},
]
_FORM_FUSION = [{"kind": "fusion", "name": "EWSR1::WT1", "method": "rna_ngs", "result": "detected"}]


def _json_file(**fields) -> bytes:
    return orjson.dumps({"profiles": [{**fields, "betas": {"cg00000029": 0.1}}]})


@pytest.mark.parametrize(
    ("form", "named", "them"),
    [
        ({"findings": _FORM_FUSION}, "findings", "them"),
        ({"diagnosis": "DSRCT"}, "diagnosis", "it"),
        ({"sample_id": "FORM"}, "sample id", "it"),
        ({"sample_id": "FORM", "diagnosis": "DSRCT"}, "sample id and diagnosis", "them"),
        (
            {"sample_id": "FORM", "diagnosis": "DSRCT", "findings": _FORM_FUSION},
            "sample id, diagnosis and findings",
            "them",
        ),
    ],
)
def test_a_field_given_by_the_file_and_differently_by_the_form_is_refused(form, named, them):
    # The file's FISH and IHC findings must never be dropped for the form's fusion.
    content = _json_file(sample_id="FILE", diagnosis="Ewing sarcoma", findings=_FILE_FINDINGS)
    fields = {"sample_id": "", "diagnosis": "", "findings": []} | form
    with pytest.raises(UploadError) as refused:
        classify_body(content, "p.json", **fields)
    assert str(refused.value) == (
        f"the file already gives the {named}; leave the form's {named} empty, "
        f"or remove {them} from the file"
    )
    assert refused.value.status_code == 422


def test_the_form_completes_what_a_json_profile_lacks():
    profile = _profile(
        _json_file(sample_id="FILE", findings=[]), "p.json", sample_id="FILE",
        diagnosis="Ewing sarcoma", findings=_FORM_FUSION,
    )  # fmt: skip
    assert profile["sample_id"] == "FILE"  # the same value twice is no conflict
    assert profile["diagnosis"] == "Ewing sarcoma"
    assert profile["findings"] == _FORM_FUSION
    assert profile["betas"] == {"cg00000029": 0.1}


def test_the_same_findings_on_the_form_and_in_the_file_are_kept_once():
    content = _json_file(sample_id="FILE", findings=_FORM_FUSION)
    assert _profile(content, "p.json", sample_id="", findings=_FORM_FUSION)["findings"] == (
        _FORM_FUSION
    )


def test_a_json_profile_keeps_its_own_fields_when_the_form_is_empty():
    doc = {"profiles": [{"sample_id": "FILE", "diagnosis": "DSRCT", "betas": {}}]}
    profile = _profile(orjson.dumps(doc), "p.json", sample_id="")
    assert (profile["sample_id"], profile["diagnosis"]) == ("FILE", "DSRCT")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"  \n", "the file is empty"),
        (b"one column only\ncg1\n", "neither JSON nor a table"),
        (b"# only a note\n\n  \n", "only blank and comment lines"),
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


def _rows(count: int) -> bytes:
    return b"".join(b"cg%08d,0.5\n" % i for i in range(count))


@pytest.mark.parametrize(
    ("content", "line"),
    [
        # 1 comment line, the header, 48 good rows: the bad value is on line 51.
        (b"# exported by the lab\nprobe_id,beta\n" + _rows(48) + b"cgX,bad\n", 51),
        (b"probe_id,beta\ncg1,0.1\n\ncg2,bad\n", 4),
        (b"\n  # indented note, with commas\n\nprobe_id,beta\n \t\ncg1,bad\n", 6),
        (b"probe_id,beta\r\n# note\r\n\r\ncg1,bad\r\n", 4),
        (b"probe_id,beta\r#\rcg1,bad\r", 3),
        (b"\xef\xbb\xbf# note\nprobe_id,beta\ncg1,bad\n", 3),
    ],
)
def test_a_bad_value_is_reported_on_the_line_an_editor_shows(content, line):
    with pytest.raises(UploadError, match=f"^line {line}: the beta value 'bad'"):
        classify_body(content, "p.csv", sample_id="S1", diagnosis="", findings=[])


def test_an_empty_probe_id_is_reported_on_its_physical_line():
    content = b"# note\nprobe_id,beta\n\ncg1,0.1\n,0.4\n"
    with pytest.raises(UploadError, match=r"^line 5: the probe id is empty"):
        classify_body(content, "p.csv", sample_id="S1", diagnosis="", findings=[])


def test_a_ragged_line_is_reported_on_its_physical_line():
    content = b"# a, b, c\n\nprobe_id,beta\ncg1,0.1\ncg2,0.2,9\n"
    with pytest.raises(UploadError, match="Expected 2 fields in line 5, saw 3"):
        classify_body(content, "p.csv", sample_id="S1", diagnosis="", findings=[])


def test_a_quoted_cell_across_lines_is_refused():
    # It would shift every later line number; no probe id or beta value holds a line break.
    content = b'probe_id,beta\n"cg1\n",0.1\ncg2,0.2\n'
    with pytest.raises(UploadError, match="a quoted cell holds a line break"):
        classify_body(content, "p.csv", sample_id="S1", diagnosis="", findings=[])


def test_a_table_body_knows_the_line_of_each_probe():
    content = b"# note\nprobe_id;beta\ncg1;0.1\n\n# more\ncg2;0.2 # checked twice\n"
    prepared = classify_body(content, "p.csv", sample_id="S1", diagnosis="", findings=[])
    assert _read(prepared)["values"] == [0.1, 0.2]
    assert [prepared.line_of(0), prepared.line_of(1)] == [3, 6]
    assert prepared.line_of(2) is None


def test_a_json_body_has_no_lines():
    doc = {"profiles": [{"sample_id": "S", "betas": {"cg00000029": 0.1}}]}
    prepared = classify_body(orjson.dumps(doc), "p.txt", sample_id="", diagnosis="", findings=[])
    assert prepared.line_of(0) is None


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
        {"kind": "rearrangement", "gene": "EWSR1", "method": "fish", "result": "rearranged"},
        {"kind": "ihc", "marker": "WT1", "result": "negative", "epitope": "N-terminal"},
    ]
    assert findings_of(FormFindings()) == []


def test_mutation_copy_number_and_clone_from_the_form():
    form = FormFindings(
        mutation_gene="idh1",
        mutation_variant=" p.R132C ",
        copy_gene="mdm2",
        copy_result="not_detected",
        ihc_marker="INI1",
        ihc_clone="MRQ-27",
        ihc_result="lost",
    )
    assert findings_of(form) == [
        {"kind": "mutation", "gene": "IDH1", "method": "dna_ngs", "result": "detected",
         "variant": "p.R132C"},
        {"kind": "copy_number", "gene": "MDM2", "change": "amplification", "method": "fish",
         "result": "not_detected"},
        {"kind": "ihc", "marker": "INI1", "result": "lost", "clone": "MRQ-27"},
    ]  # fmt: skip


def test_a_diagnosis_code_from_the_form_goes_into_the_body():
    body = classify_body(
        b"probe_id,beta\ncg00000029,0.1\n",
        "p.csv",
        sample_id="S1",
        diagnosis="",
        findings=[],
        diagnosis_code={"system": "OncoTree", "code": "DSRCT"},
    )
    assert body.format is BodyFormat.ARROW  # a table travels as Arrow, the code in a JSON cell
    profile = _read(body)
    assert profile["diagnosis_code"] == {"system": "OncoTree", "code": "DSRCT"}
    assert "diagnosis" not in profile
