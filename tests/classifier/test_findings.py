import pytest

from classifier.errors import ClassifierError, UnknownFindingError
from classifier.findings import (
    Epitope,
    Finding,
    FindingKind,
    parse_finding,
    parse_findings,
    parse_fusion_name,
)
from classifier.knowledge import Proves

RNA_WT1 = {"kind": "fusion", "genes": ["EWSR1", "WT1"], "method": "rna_ngs", "result": "detected"}


# -- fusions ---------------------------------------------------------------------


def test_fusion_from_genes():
    f = parse_finding(RNA_WT1, 0)
    assert f == Finding(FindingKind.FUSION, "rna_ngs", "detected", genes=("EWSR1", "WT1"))
    assert f.fusion_name == "EWSR1::WT1"
    assert f.proves is Proves.FUSION_PRESENT


@pytest.mark.parametrize(
    "name",
    [
        "EWSR1::WT1",
        "EWSR1-WT1",
        "EWSR1/WT1",
        "EWSR1 - WT1",
        "EWSR1–WT1",
        "ewsr1::wt1",
        "EWSR1 WT1",
        "t(11;22) EWSR1-WT1",
        "t(11;22)(p13;q12) EWSR1::WT1",
        "EWSR1-WT1 fusion",
    ],
)
def test_fusion_name_forms(name):
    f = parse_finding({"kind": "fusion", "name": name, "method": "rt_pcr", "result": "detected"}, 0)
    assert f.genes == ("EWSR1", "WT1")


def test_hyphenated_gene_symbols_are_read_in_the_hgnc_form():
    assert parse_fusion_name("NKX2-2::FOO1") == ("NKX2-2", "FOO1")


def test_spelling_of_method_and_result_is_forgiving():
    f = parse_finding(
        {"kind": "Fusion", "name": "SS18-SSX1", "method": "RNA-NGS", "result": "Not detected"}, 3
    )
    assert (f.kind, f.method, f.result, f.index) == (
        FindingKind.FUSION,
        "rna_ngs",
        "not_detected",
        3,
    )
    assert f.proves is Proves.FUSION_ABSENT


def test_genes_and_name_must_agree():
    obj = {**RNA_WT1, "name": "EWSR1::FLI1"}
    with pytest.raises(UnknownFindingError, match="disagree") as err:
        parse_finding(obj, 1)
    assert err.value.field == "findings[1].name"
    # the same pair in the other order is the same fusion
    assert parse_finding({**RNA_WT1, "name": "WT1-EWSR1"}, 1).genes == ("EWSR1", "WT1")


# -- break-apart and stains -----------------------------------------------------


def test_break_apart():
    f = parse_finding(
        {"kind": "break_apart", "gene": "ewsr1", "method": "FISH", "result": "rearranged"}, 1
    )
    assert (f.kind, f.genes, f.method, f.result) == (
        FindingKind.BREAK_APART,
        ("EWSR1",),
        "fish",
        "rearranged",
    )
    assert f.proves is Proves.REARRANGEMENT
    negative = parse_finding(
        {"kind": "break-apart", "gene": "EWSR1", "method": "fish", "result": "not_rearranged"}, 2
    )
    assert negative.proves is Proves.NO_REARRANGEMENT


def test_ihc_with_epitope():
    f = parse_finding(
        {"kind": "ihc", "marker": "WT1", "epitope": "N-terminal", "result": "negative"}, 2
    )
    assert (f.marker, f.epitope, f.method, f.result) == (
        "WT1",
        Epitope.N_TERMINAL,
        "ihc",
        "negative",
    )
    assert f.proves is Proves.MARKER_NEGATIVE


def test_ihc_defaults_and_pattern():
    f = parse_finding(
        {"kind": "IHC", "marker": "desmin", "result": "positive", "pattern": " Dot-like "}, 0
    )
    assert (f.marker, f.epitope, f.pattern) == ("DESMIN", Epitope.UNSPECIFIED, "dot-like")
    c_term = parse_finding(
        {"kind": "ihc", "marker": "WT1", "epitope": "C terminal", "result": "positive"}, 0
    )
    assert c_term.epitope is Epitope.C_TERMINAL


def test_not_tested_needs_no_method():
    f = parse_finding({"kind": "fusion", "name": "EWSR1::WT1", "result": "not_tested"}, 0)
    assert f.method == "any"
    assert f.proves is Proves.NOTHING
    assert f.describe() == "EWSR1::WT1 not tested (findings[0])"


# -- descriptions and dicts -----------------------------------------------------


def test_describe_cites_the_finding():
    findings = parse_findings(
        [
            RNA_WT1,
            {"kind": "break_apart", "gene": "EWSR1", "method": "fish", "result": "rearranged"},
            {"kind": "ihc", "marker": "WT1", "epitope": "c_terminal", "result": "positive"},
            {"kind": "ihc", "marker": "desmin", "result": "positive", "pattern": "dot-like"},
        ]
    )
    assert [f.describe() for f in findings] == [
        "EWSR1::WT1 detected by RNA-based NGS (findings[0])",
        "EWSR1 break-apart FISH: rearranged (findings[1])",
        "WT1 immunohistochemistry, C-terminal antibody: positive (findings[2])",
        "DESMIN immunohistochemistry: positive, dot-like (findings[3])",
    ]


def test_to_dict_holds_the_fields_of_the_kind():
    fusion, ihc = parse_findings(
        [RNA_WT1, {"kind": "ihc", "marker": "WT1", "epitope": "N-terminal", "result": "negative"}]
    )
    assert fusion.to_dict() == {
        "kind": "fusion",
        "method": "rna_ngs",
        "result": "detected",
        "genes": ["EWSR1", "WT1"],
        "name": "EWSR1::WT1",
    }
    assert ihc.to_dict() == {
        "kind": "ihc",
        "method": "ihc",
        "result": "negative",
        "marker": "WT1",
        "epitope": "n_terminal",
        "pattern": None,
    }


def test_parse_findings_of_nothing():
    assert parse_findings(None) == ()
    assert parse_findings([]) == ()


# -- errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "field", "message"),
    [
        (
            {"kind": "sequencing", "result": "detected"},
            "findings[2].kind",
            "unknown kind 'sequencing'; accepted: fusion, break_apart, ihc",
        ),
        (
            {"result": "detected"},
            "findings[2].kind",
            "kind is missing; accepted: fusion, break_apart, ihc",
        ),
        (
            {**RNA_WT1, "method": "sanger"},
            "findings[2].method",
            "unknown method 'sanger'; accepted: rna_ngs, rt_pcr, dna_ngs, fish",
        ),
        (
            {"kind": "fusion", "genes": ["EWSR1", "WT1"], "result": "detected"},
            "findings[2].method",
            "method is missing; accepted: rna_ngs, rt_pcr, dna_ngs, fish",
        ),
        (
            {"kind": "break_apart", "gene": "EWSR1", "method": "rna_ngs", "result": "rearranged"},
            "findings[2].method",
            "accepted: fish",
        ),
        (
            {**RNA_WT1, "result": "positive"},
            "findings[2].result",
            "unknown result 'positive'; accepted: detected, not_detected, not_tested",
        ),
        (
            {"kind": "fusion", "genes": ["EWSR1", "WT1"], "method": "rna_ngs"},
            "findings[2].result",
            "result is missing; accepted: detected, not_detected",
        ),
        (
            {"kind": "break_apart", "gene": "EWSR1", "method": "fish", "result": "detected"},
            "findings[2].result",
            "accepted: rearranged, not_rearranged, not_tested",
        ),
        (
            {"kind": "ihc", "marker": "WT1", "result": "rearranged"},
            "findings[2].result",
            "accepted: positive, negative, not_tested",
        ),
        (
            {"kind": "break_apart", "method": "fish", "result": "rearranged"},
            "findings[2].gene",
            "gene is missing; expected a gene symbol",
        ),
        (
            {"kind": "break_apart", "gene": "  ", "method": "fish", "result": "rearranged"},
            "findings[2].gene",
            "gene is missing",
        ),
        (
            {"kind": "break_apart", "gene": "EWS R1!", "method": "fish", "result": "rearranged"},
            "findings[2].gene",
            "expected a gene symbol",
        ),
        (
            {"kind": "fusion", "method": "rna_ngs", "result": "detected"},
            "findings[2].genes",
            "a fusion needs 'genes'",
        ),
        ({**RNA_WT1, "genes": ["EWSR1"]}, "findings[2].genes", "two fusion partners"),
        ({**RNA_WT1, "genes": "EWSR1::WT1"}, "findings[2].genes", "two fusion partners"),
        ({**RNA_WT1, "genes": ["EWSR1", 7]}, "findings[2].genes[1]", "expected a gene symbol"),
        (
            {"kind": "fusion", "name": "EWSR1", "method": "rna_ngs", "result": "detected"},
            "findings[2].name",
            "cannot read 'EWSR1' as a fusion of two genes",
        ),
        (
            {"kind": "fusion", "name": "A-B-C", "method": "rna_ngs", "result": "detected"},
            "findings[2].name",
            "'EWSR1::WT1', 'EWSR1-WT1'",
        ),
        ({"kind": "ihc", "result": "positive"}, "findings[2].marker", "marker is missing"),
        (
            {"kind": "ihc", "marker": "WT1", "epitope": "middle", "result": "positive"},
            "findings[2].epitope",
            "accepted: c_terminal, n_terminal, unspecified",
        ),
        ({"kind": 3, "result": "detected"}, "findings[2].kind", "must be a string, got int"),
        # A misspelt field is refused, not dropped: the epitope decides what a WT1 stain says.
        (
            {"kind": "ihc", "marker": "WT1", "epitop": "n_terminal", "result": "negative"},
            "findings[2].epitop",
            "has no field 'epitop'; ihc findings have: kind, method, result, marker, epitope, "
            "pattern",
        ),
        ({**RNA_WT1, "gene": "EWSR1"}, "findings[2].gene", "fusion findings have: kind, method"),
        (
            {"kind": "break_apart", "gene": "EWSR1", "genes": ["EWSR1", "WT1"],
             "method": "fish", "result": "rearranged"},
            "findings[2].genes",
            "break_apart findings have: kind, method, result, gene",
        ),
    ],
)  # fmt: skip
def test_invalid_findings_name_the_field_and_the_accepted_values(obj, field, message):
    with pytest.raises(UnknownFindingError, match=message.replace("(", r"\(")) as err:
        parse_finding(obj, 2)
    assert err.value.field == field


def test_non_object_finding():
    with pytest.raises(UnknownFindingError, match="must be an object, got str") as err:
        parse_findings([RNA_WT1, "EWSR1::WT1"])
    assert err.value.field == "findings[1]"


@pytest.mark.parametrize("items", ["EWSR1::WT1", RNA_WT1, 42])
def test_findings_must_be_a_list(items):
    with pytest.raises(UnknownFindingError, match="must be a list of objects") as err:
        parse_findings(items)
    assert err.value.field == "findings"


def test_finding_errors_are_value_errors():
    with pytest.raises(ValueError):
        parse_finding({"kind": "x"}, 0)
    assert issubclass(UnknownFindingError, ClassifierError)


def test_hand_built_finding_with_unknown_method_fails_when_read():
    f = Finding(FindingKind.FUSION, "sanger", "detected", genes=("EWSR1", "WT1"))
    with pytest.raises(UnknownFindingError, match="no evidence row"):
        _ = f.proves


@pytest.mark.parametrize(
    "obj",
    [
        {"kind": "fusion", "method": "rna_ngs", "result": "detected",
         "genes": ["EWSR1", "WT1"], "name": "EWSR1::WT1"},
        {"kind": "break_apart", "method": "fish", "result": "rearranged", "gene": "EWSR1"},
        {"kind": "ihc", "method": "ihc", "result": "positive", "marker": "desmin",
         "epitope": "unspecified", "pattern": "dot-like"},
    ],
)  # fmt: skip
def test_a_finding_with_every_field_of_its_kind_is_read(obj):
    # The field check and what parse_finding reads must not drift apart.
    assert parse_finding(obj, 0).to_dict()["kind"] == obj["kind"]
