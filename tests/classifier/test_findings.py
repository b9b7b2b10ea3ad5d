import re

import pytest

from classifier.errors import ClassifierError, UnknownFindingError, UnknownGeneError
from classifier.findings import (
    CopyChange,
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
        FindingKind.REARRANGEMENT,
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
        "clone": None,
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
            "unknown kind 'sequencing'; accepted: fusion, rearrangement, mutation, copy_number, "
            "ihc (break_apart is read as rearrangement)",
        ),
        (
            {"result": "detected"},
            "findings[2].kind",
            "kind is missing; accepted: fusion, rearrangement, mutation, copy_number, ihc",
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
            "accepted: fish, dna_ngs",
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
            "accepted: positive, negative, lost, retained, not_tested",
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
            "clone, pattern",
        ),
        ({**RNA_WT1, "gene": "EWSR1"}, "findings[2].gene", "fusion findings have: kind, method"),
        (
            {"kind": "break_apart", "gene": "EWSR1", "genes": ["EWSR1", "WT1"],
             "method": "fish", "result": "rearranged"},
            "findings[2].genes",
            "rearrangement findings have: kind, method, result, gene",
        ),
    ],
)  # fmt: skip
def test_invalid_findings_name_the_field_and_the_accepted_values(obj, field, message):
    with pytest.raises(UnknownFindingError, match=re.escape(message)) as err:
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
        {"kind": "rearrangement", "method": "fish", "result": "rearranged", "gene": "EWSR1"},
        {"kind": "mutation", "method": "dna_ngs", "result": "detected", "gene": "IDH1",
         "variant": "p.R132C"},
        {"kind": "copy_number", "method": "fish", "result": "detected", "gene": "MDM2",
         "change": "amplification"},
        {"kind": "ihc", "method": "ihc", "result": "positive", "marker": "desmin",
         "epitope": "unspecified", "clone": "D33", "pattern": "dot-like"},
    ],
)  # fmt: skip
def test_a_finding_with_every_field_of_its_kind_is_read(obj):
    # The field check and what parse_finding reads must not drift apart.
    assert parse_finding(obj, 0).to_dict()["kind"] == obj["kind"]


# -- the kinds added in knowledge 2.0 ----------------------------------------------


def test_break_apart_is_an_alias_of_rearrangement_and_dna_ngs_is_accepted():
    old = parse_finding(
        {"kind": "break_apart", "gene": "EWSR1", "method": "fish", "result": "rearranged"}, 0
    )
    new = parse_finding(
        {"kind": "rearrangement", "gene": "EWSR1", "method": "dna_ngs", "result": "rearranged"}, 1
    )
    assert old.kind is new.kind is FindingKind.REARRANGEMENT
    assert new.describe() == (
        "EWSR1 DNA-based NGS (breakpoint without a named partner): rearranged (findings[1])"
    )


def test_mutation_with_its_variant():
    f = parse_finding(
        {
            "kind": "mutation",
            "gene": "idh1",
            "variant": "p.Arg132Cys",
            "method": "DNA-NGS",
            "result": "detected",
        },
        4,
    )
    assert (f.kind, f.genes, f.variant, f.method) == (
        FindingKind.MUTATION,
        ("IDH1",),
        "p.Arg132Cys",
        "dna_ngs",
    )
    assert f.variant_tokens == {"R132"}
    assert f.proves is Proves.ALTERATION_PRESENT
    assert f.describe() == "IDH1 p.Arg132Cys detected by DNA-based NGS (findings[4])"
    assert f.to_dict() == {
        "kind": "mutation",
        "method": "dna_ngs",
        "result": "detected",
        "gene": "IDH1",
        "variant": "p.Arg132Cys",
    }


def test_a_previous_hgnc_symbol_is_read_as_its_successor_and_said_so():
    f = parse_finding(
        {
            "kind": "mutation",
            "gene": "H3F3A",
            "variant": "G34W",
            "method": "sanger",
            "result": "detected",
        },
        0,
    )
    assert f.genes == ("H3-3A",)
    assert f.renamed == ("H3F3A is now H3-3A",)
    assert (
        f.describe()
        == "H3-3A G34W detected by Sanger sequencing [H3F3A is now H3-3A] (findings[0])"
    )
    fusion = parse_finding(
        {
            "kind": "fusion",
            "genes": ["EWSR1", "WT1"],
            "name": "EWS::WT1",
            "method": "rt_pcr",
            "result": "detected",
        },
        0,
    )
    assert fusion.genes == ("EWSR1", "WT1")


def test_copy_number_with_its_change():
    f = parse_finding(
        {
            "kind": "copy_number",
            "gene": "MDM2",
            "change": "Amplification",
            "method": "fish",
            "result": "detected",
        },
        1,
    )
    assert (f.change, f.change.alteration_kind) == (CopyChange.AMPLIFICATION, "amplification")
    assert f.describe() == "MDM2 amplification detected by FISH (findings[1])"
    assert CopyChange.DELETION.alteration_kind == CopyChange.LOSS.alteration_kind == "loss"
    assert CopyChange.GAIN.alteration_kind is None


def test_ihc_lost_retained_and_a_known_clone_gives_the_epitope():
    lost = parse_finding({"kind": "ihc", "marker": "INI1", "result": "lost"}, 0)
    assert lost.proves is Proves.MARKER_NEGATIVE
    assert (
        parse_finding({"kind": "ihc", "marker": "H3K27me3", "result": "retained"}, 0).proves
        is Proves.MARKER_POSITIVE
    )
    clone = parse_finding(
        {"kind": "ihc", "marker": "WT1", "clone": "6F-H2", "result": "negative"}, 2
    )
    assert (clone.epitope, clone.clone) == (Epitope.N_TERMINAL, "6F-H2")
    assert (
        clone.describe()
        == "WT1 immunohistochemistry, clone 6F-H2 (N-terminal): negative (findings[2])"
    )
    unknown = parse_finding(
        {"kind": "ihc", "marker": "desmin", "clone": "D33", "result": "positive"}, 0
    )
    assert (unknown.epitope, unknown.clone) == (Epitope.UNSPECIFIED, "D33")


@pytest.mark.parametrize(
    ("obj", "field", "message"),
    [
        (
            {"kind": "mutation", "gene": "FOO1BAR", "method": "dna_ngs", "result": "detected"},
            "findings[3].gene",
            "'FOO1BAR' is not an HGNC-approved or previous gene symbol",
        ),
        (
            {
                "kind": "fusion", "genes": ["EWSR1", "NOTAGENE9"], "method": "rna_ngs",
                "result": "detected"
            },
            "findings[3].genes[1]",
            "'NOTAGENE9' is not an HGNC-approved or previous gene symbol",
        ),
        (
            {"kind": "fusion", "name": "EWSR1::XYZ99Q", "method": "rna_ngs", "result": "detected"},
            "findings[3].name",
            "'XYZ99Q' is not an HGNC-approved",
        ),
        (
            {
                "kind": "mutation", "gene": "IDH1", "variant": "bad news", "method": "dna_ngs",
                "result": "detected"
            },
            "findings[3].variant",
            "cannot read 'bad news'; write a protein change",
        ),
        (
            {"kind": "mutation", "gene": "IDH1", "method": "ihc", "result": "detected"},
            "findings[3].method",
            "accepted: dna_ngs, sanger, pcr, rna_ngs",
        ),
        (
            {"kind": "copy_number", "gene": "MDM2", "method": "fish", "result": "detected"},
            "findings[3].change",
            "change is missing; accepted: amplification, gain, deletion, loss",
        ),
        (
            {
                "kind": "copy_number", "gene": "MDM2", "change": "doubled", "method": "fish",
                "result": "detected"
            },
            "findings[3].change",
            "unknown change 'doubled'",
        ),
        (
            {
                "kind": "ihc", "marker": "WT1", "clone": "6F-H2", "epitope": "C-terminal",
                "result": "negative"
            },
            "findings[3].epitope",
            "clone '6F-H2' binds the N-terminal part of WT1, but epitope says C-terminal",
        ),
        (
            {
                "kind": "mutation", "gene": "IDH1", "change": "amplification", "method": "dna_ngs",
                "result": "detected"
            },
            "findings[3].change",
            "mutation findings have: kind, method, result, gene, variant",
        ),
    ],
)  # fmt: skip
def test_errors_of_the_new_kinds_name_the_field(obj, field, message):
    with pytest.raises(UnknownFindingError, match=re.escape(message)) as err:
        parse_finding(obj, 3)
    assert err.value.field == field


def test_an_ambiguous_previous_symbol_is_refused_naming_the_candidates():
    from classifier.genes import load_gene_symbols

    symbols = load_gene_symbols()
    ambiguous = next(s for s, v in sorted(symbols.previous.items()) if len(v) > 1)
    with pytest.raises(UnknownGeneError, match="previous HGNC symbol of several genes") as err:
        parse_finding(
            {"kind": "mutation", "gene": ambiguous, "method": "dna_ngs", "result": "detected"}, 0
        )
    assert err.value.field == "findings[0].gene"
    assert all(s in str(err.value) for s in symbols.previous[ambiguous])
