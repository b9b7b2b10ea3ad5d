import csv
import re
from importlib import resources

import pytest

from classifier.diagnoses import DiagnosisResolver, normalise_diagnosis
from classifier.genes import load_gene_symbols
from classifier.knowledge import (
    IhcMeaning,
    Proves,
    classes_defined_by,
    classes_rearranging,
    expected_fusions,
    knowledge_version,
    load_knowledge,
    resolve_diagnosis,
)
from classifier.knowledge_rows import read_alteration

# The 76 distinct `Diagnosis` strings of the GSE140686 sample sheets
# (samples_450k.csv and samples_epic.csv), copied so that the test does not
# need ../shared, with the class or family each should be read as.
GSE140686_DIAGNOSES = {
    "Alveolar soft part sarcoma": ("class", "ASPS"),
    "Angioleiomyoma": ("class", "ANGLM"),
    "Angiomatoid fibrous histiocytoma": ("class", "AFH"),
    "Angiosarcoma": ("class", "AS"),
    "Atypical fibroxanthoma": ("class", "AFX_PDS"),
    "Atypical lipomatous tumour": ("class", "WDLPS"),
    "Chondroblastoma": ("class", "CHBL"),
    "Chondrosarcoma": ("family", "CARTILAGE"),
    "Chondrosarcoma (clear cell)": ("class", "CS_CC"),
    "Chondrosarcoma (mesenchymal)": ("class", "CS_MES"),
    "Chordoma": ("class", "CHORD"),
    "Chordoma (de-differentiated)": ("class", "CHORD_DD"),
    "Clear cell sarcoma (kidney)": ("class", "CCSK"),
    "Clear cell sarcoma (soft tissue)": ("class", "CCS"),
    "Control (blood)": ("class", "CTRL_BLOOD"),
    "Control (muscle tissue)": ("class", "CTRL_MUSC"),
    "Control (reactive tissue)": ("class", "CTRL_REACT"),
    "Dedifferentiated liposarcoma": ("class", "WDLPS"),
    "Dermatofibrosarcoma protuberans": ("class", "DFSP"),
    "Desmoid-type fibromatosis": ("class", "DTF"),
    "Desmoplastic small round cell tumour": ("class", "DSRCT"),
    "Embryonal rhabdomyosarcoma": ("class", "RMS_EMB"),
    "Endometrial stromal sarcoma (high-grade)": ("class", "ESS_HG"),
    "Endometrial stromal sarcoma (low-grade)": ("class", "ESS_LG"),
    "Epithelioid haemangioendothelioma": ("class", "EHE"),
    "Epithelioid sarcoma": ("class", "EPS"),
    "Epithelioid sarcoma, classic": ("class", "EPS"),
    "Ewing´s sarcoma": ("class", "EWS"),
    "Extraskeletal myxoid chondrosarcoma": ("class", "EMC"),
    "Fibrous dysplasia": ("class", "FD"),
    "Gastroinstestinal stromal tumour": ("class", "GIST"),
    "Giant cell tumour of bone": ("class", "GCTB"),
    "Glioblastoma": None,
    "Infantile fibrosarcoma": ("class", "IFS"),
    "Inflammatory myofibroblastic tumour": ("class", "IMT"),
    "Kaposi sarcoma": ("class", "KS"),
    "Langerhans cell histiocytosis": ("class", "LCH"),
    "Leiomyoma": ("class", "LM"),
    "Leiomyosarcoma": ("class", "LMS"),
    "Lipoma": ("class", "LIPOMA"),
    "Low-grade fibromyxoid sarcoma": ("class", "LGFMS"),
    "Malignant peripheral nerve sheath tumour": ("class", "MPNST"),
    "Malignant rhabdoid tumour": ("class", "MRT"),
    "Malignant tumour not otherwise specified": None,
    "Melanoma": ("class", "MEL"),
    "Mesenchymal chondrosarcoma": ("class", "CS_MES"),
    "Myopericytoma": ("class", "ANGLM"),
    "Myositis ossificans": ("class", "MO"),
    "Myositis proliferans": ("class", "MP"),
    "Myxofibrosarcoma": ("family", "PLEOMORPHIC"),
    "Myxoid liposarcoma": ("class", "MLPS"),
    "Neurofibroma": ("class", "NFIB"),
    "Neurofibroma (plexiform)": ("class", "PNF"),
    "Nodular fasciitis": ("class", "NFAS"),
    "Ossifying fibromyxoid tumour": ("class", "OFMT"),
    "Osteoblastoma": ("class", "OBL"),
    "Osteosarcoma (high-grade)": ("class", "OS_HG"),
    "Pleomorphic dermal sarcoma": ("class", "AFX_PDS"),
    "Pleomorphic liposarcoma": ("family", "PLEOMORPHIC"),
    "Primitive neuroectodermal tumour": ("family", "ROUND_CELL"),
    "Rhabdomyosarcoma (alveolar)": ("class", "RMS_ALV"),
    "Rhabdomyosarcoma (embryonal)": ("class", "RMS_EMB"),
    "Rhabdomyosarcoma (sclerosing)": ("family", "RHABDOMYOSARCOMA"),
    "Rhabdomyosarcoma (spindle cell)": ("family", "RHABDOMYOSARCOMA"),
    "Sarcoma not otherwise specified": None,
    "Schwannoma": ("class", "SCHW"),
    "Sclerosing epithelioid sarcoma": ("class", "SEF"),
    "Small blue round cell tumour with BCOR alteration": ("class", "BCOR"),
    "Small blue round cell tumour with CIC alteration": ("class", "CIC"),
    "Solitary fibrous tumour": ("class", "SFT"),
    "Squamous cell carcinoma (cutaneous)": ("class", "SCC"),
    "Synovial sarcoma": ("class", "SS"),
    "Undifferentiated epithelioid sarcoma not otherwise specified": None,
    "Undifferentiated pleomorphic sarcoma": ("class", "USARC"),
    "Undifferentiated sarcoma": ("class", "USARC"),
    "Well-differentiated liposarcoma": ("class", "WDLPS"),
}


# -- version -------------------------------------------------------------------


def test_version_is_read_from_the_version_file():
    assert knowledge_version() == "2.0.0"
    assert re.fullmatch(r"[0-9a-f]{12}", load_knowledge().digest)


def test_load_is_cached():
    assert load_knowledge() is load_knowledge()


# -- defining alterations --------------------------------------------------------


def test_dsrct_is_defined_by_ewsr1_wt1():
    assert expected_fusions("DSRCT") == ("EWSR1::WT1",)


def test_expected_fusions_accept_a_geo_label():
    assert expected_fusions("methylation class Ewing´s sarcoma") == expected_fusions("EWS")


def test_ewing_fusions_include_fus_partners():
    fusions = expected_fusions("EWS")
    assert fusions[0] == "EWSR1::FLI1"
    assert {"EWSR1::ERG", "FUS::ERG", "FUS::FEV"} <= set(fusions)


@pytest.mark.parametrize(
    "code",
    [
        "EWS",
        "CIC",
        "BCOR",
        "SS",
        "RMS_ALV",
        "MLPS",
        "CCS",
        "AFH",
        "EMC",
        "LGFMS",
        "SEF",
        "ASPS",
        "DFSP",
        "IFS",
        "SFT",
        "EHE",
        "CS_MES",
        "IMT",
        "ESS_LG",
        "DSRCT",
    ],
)
def test_every_fusion_defined_class_of_the_domain_table_has_fusions(code):
    assert expected_fusions(code)


def test_class_without_defining_fusion_has_none():
    assert expected_fusions("LMS") == ()
    assert expected_fusions("not a class") == ()


def test_non_fusion_alterations_are_named_by_kind():
    kb = load_knowledge()
    assert "BCOR internal tandem duplication" in [a.name for a in kb.defining_alterations("BCOR")]
    assert [a.name for a in kb.defining_alterations("WDLPS")] == ["MDM2 amplification"]
    assert kb.expected_fusions("WDLPS") == ()


def test_shared_fusion_defines_both_classes():
    assert classes_defined_by("EWSR1::ATF1") == ("CCS", "AFH")
    assert classes_defined_by("EWSR1::CREB1") == ("CCS", "AFH")
    assert classes_defined_by(("ETV6", "NTRK3")) == ("IFS", "IMT")


def test_fusion_orientation_does_not_matter():
    assert classes_defined_by("WT1::EWSR1") == ("DSRCT",)
    assert classes_defined_by(["wt1", "ewsr1"]) == ("DSRCT",)


def test_wildcard_partner_matches_any_gene():
    assert classes_defined_by("EML4::ALK") == ("IMT",)
    # PHF1 fusions occur in both OFMT and low-grade endometrial stromal sarcoma
    assert classes_defined_by("MEAF6::PHF1") == ("ESS_LG", "OFMT")
    kb = load_knowledge()
    assert [a.name for a in kb.variant_partners("IMT")] == [
        "ALK fusion (any partner)",
        "ROS1 fusion (any partner)",
    ]
    assert all(not a.is_wildcard for a in kb.expected_fusions("IMT"))


def test_unknown_fusion_defines_nothing():
    assert classes_defined_by("EWSR1::PATZ1") == ()
    assert classes_defined_by("EWSR1") == ()


def test_ewsr1_rearranges_in_the_domain_classes():
    assert set(classes_rearranging("EWSR1")) == {"EWS", "DSRCT", "CCS", "AFH", "EMC", "MLPS", "SEF"}


def test_fet_genes_other_than_ewsr1_rearrange_too():
    assert set(classes_rearranging("fus")) == {"EWS", "MLPS", "AFH", "LGFMS"}
    assert classes_rearranging("TAF15") == ("EMC",)
    assert classes_rearranging("WT1") == ("DSRCT",)
    assert classes_rearranging("MYC") == ()


def test_test_for_each_kind():
    kb = load_knowledge()
    assert kb.test_for("fusion") == "RNA-based NGS or RT-PCR"
    assert kb.test_for("amplification") == "FISH or copy-number analysis"


# -- evidence and stains ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "method", "result", "proves"),
    [
        ("fusion", "rna_ngs", "detected", Proves.FUSION_PRESENT),
        ("fusion", "rt_pcr", "detected", Proves.FUSION_PRESENT),
        ("fusion", "dna_ngs", "not_detected", Proves.FUSION_ABSENT),
        ("fusion", "rna_ngs", "not_tested", Proves.NOTHING),
        ("rearrangement", "fish", "rearranged", Proves.REARRANGEMENT),
        ("rearrangement", "fish", "not_rearranged", Proves.NO_REARRANGEMENT),
        ("mutation", "dna_ngs", "detected", Proves.ALTERATION_PRESENT),
        ("copy_number", "fish", "not_detected", Proves.ALTERATION_ABSENT),
        ("ihc", "ihc", "lost", Proves.MARKER_NEGATIVE),
        ("ihc", "ihc", "retained", Proves.MARKER_POSITIVE),
        ("ihc", "ihc", "positive", Proves.MARKER_POSITIVE),
        ("ihc", "ihc", "negative", Proves.MARKER_NEGATIVE),
    ],
)
def test_evidence_methods_say_what_a_finding_proves(kind, method, result, proves):
    row = load_knowledge().evidence_method(kind, method, result)
    assert row is not None
    assert row.proves is proves
    assert row.explanation


def test_break_apart_explains_partner_unknown():
    row = load_knowledge().evidence_method("rearrangement", "fish", "rearranged")
    assert row is not None
    assert "does not show its partner" in row.explanation


def test_unknown_evidence_combination_is_none():
    kb = load_knowledge()
    assert kb.evidence_method("rearrangement", "rna_ngs", "rearranged") is None
    assert kb.evidence_method("fusion", "rna_ngs", "rearranged") is None


def test_accepted_methods_and_results():
    kb = load_knowledge()
    assert kb.methods_for("fusion") == ("rna_ngs", "rt_pcr", "dna_ngs", "fish")
    assert kb.methods_for("rearrangement") == ("fish", "dna_ngs")
    assert kb.methods_for("mutation") == ("dna_ngs", "sanger", "pcr", "rna_ngs")
    assert kb.methods_for("copy_number") == ("fish", "dna_ngs", "array", "mlpa")
    assert kb.results_for("ihc") == ("positive", "negative", "lost", "retained", "not_tested")


@pytest.mark.parametrize(
    ("marker", "epitope", "result", "pattern", "meaning"),
    [
        ("WT1", "c_terminal", "positive", None, IhcMeaning.SUPPORTS),
        ("WT1", "c_terminal", "negative", None, IhcMeaning.ARGUES_AGAINST),
        ("WT1", "n_terminal", "negative", None, IhcMeaning.EXPECTED),
        ("WT1", "n_terminal", "positive", None, IhcMeaning.ARGUES_AGAINST),
        ("WT1", "unspecified", "negative", None, IhcMeaning.UNINFORMATIVE),
        ("desmin", "unspecified", "positive", "dot-like", IhcMeaning.SUPPORTS),
        ("AE1/AE3", "unspecified", "positive", None, IhcMeaning.SUPPORTS),
    ],
)
def test_dsrct_stain_expectations(marker, epitope, result, pattern, meaning):
    row = load_knowledge().ihc_expectation(
        "DSRCT", marker, result, epitope=epitope, pattern=pattern
    )
    assert row is not None
    assert row.meaning is meaning


def test_most_specific_stain_row_wins():
    kb = load_knowledge()
    dot = kb.ihc_expectation("DSRCT", "Desmin", "positive", pattern="Dot like")
    plain = kb.ihc_expectation("DSRCT", "DESMIN", "positive")
    assert dot is not None and "dot-like desmin is typical" in dot.explanation
    assert plain is not None and plain.pattern is None


def test_unknown_stain_has_no_expectation():
    assert load_knowledge().ihc_expectation("DSRCT", "CD99", "positive") is None


# -- diagnoses -------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), sorted(GSE140686_DIAGNOSES.items()))
def test_every_gse140686_diagnosis_resolves_as_curated(text, expected):
    match = resolve_diagnosis(text)
    got = None if match is None else (match.level, match.code)
    assert got == expected


def test_most_gse140686_diagnoses_name_a_class_or_family():
    resolved = [t for t in GSE140686_DIAGNOSES if resolve_diagnosis(t) is not None]
    assert len(GSE140686_DIAGNOSES) == 76
    assert len(resolved) == 72


def test_copied_diagnosis_list_matches_the_projects_sample_sheet():

    from training.synthetic import load_reference_sheet

    distinct = set(load_reference_sheet()["diagnosis"].dropna())
    assert distinct == set(GSE140686_DIAGNOSES)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Ewing sarcoma", "EWS"),
        ("EWING'S SARCOMA", "EWS"),
        ("Ewing’s sarcoma", "EWS"),
        ("Ewings sarcoma", "EWS"),
        ("  ewing-sarcoma  ", "EWS"),
        ("Desmoplastic small round cell tumor", "DSRCT"),
        ("desmoplastic small round-cell tumour", "DSRCT"),
        ("Epithelioid hemangioendothelioma", "EHE"),
        ("Clear cell sarcoma of the kidney", "CCSK"),
        ("Clear cell sarcoma", "CCS"),
        ("Sclerosing epithelioid fibrosarcoma", "SEF"),
    ],
)
def test_matching_ignores_case_accents_punctuation_and_spelling(text, code):
    match = resolve_diagnosis(text)
    assert match is not None
    assert (match.level, match.code, match.how) == ("class", code, "exact")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("DSRCT", "DSRCT"),
        ("dsrct", "DSRCT"),
        ("EwS", "EWS"),
        ("EpS", "EPS"),
        ("ARMS", "RMS_ALV"),
        ("ERMS", "RMS_EMB"),
        ("MPNST", "MPNST"),
        ("DFSP", "DFSP"),
        ("SFT", "SFT"),
        ("GIST", "GIST"),
        ("ups", "USARC"),
    ],
)
def test_abbreviations(text, code):
    match = resolve_diagnosis(text)
    assert match is not None and match.code == code


def test_es_is_not_read_as_either_sarcoma_it_may_mean():
    # Read as Ewing sarcoma, an epithelioid sarcoma sent as "ES" and called
    # Ewing sarcoma would have been "confirmed".
    assert resolve_diagnosis("ES") is None
    assert "Ewing sarcoma and for epithelioid sarcoma" in load_knowledge().why_unresolved("ES")


def test_codes_match_as_codes():
    match = resolve_diagnosis("ROUND_CELL")
    assert match is not None
    assert (match.level, match.code, match.family, match.how) == (
        "family",
        "ROUND_CELL",
        "ROUND_CELL",
        "code",
    )
    cls = resolve_diagnosis("CS_IDH_A")
    assert cls is not None and (cls.family, cls.how) == ("CARTILAGE", "code")


def test_family_level_synonyms():
    for text, family in [
        ("Round cell sarcoma", "ROUND_CELL"),
        ("Rhabdomyosarcoma", "RHABDOMYOSARCOMA"),
        ("RMS", "RHABDOMYOSARCOMA"),
        ("Liposarcoma", "ADIPOCYTIC"),
        ("round cell sarcomas", "ROUND_CELL"),  # the family's own name
    ]:
        match = resolve_diagnosis(text)
        assert match is not None, text
        assert (match.level, match.code, match.family) == ("family", family, family)


def test_phrase_inside_a_longer_text_is_read():
    match = resolve_diagnosis("Metastatic Ewing sarcoma of the femur")
    assert match is not None
    assert (match.code, match.how) == ("EWS", "contained")
    grade = resolve_diagnosis("Chondrosarcoma, grade 2")
    assert grade is not None and (grade.level, grade.code) == ("family", "CARTILAGE")


def test_longest_phrase_wins_inside_a_text():
    match = resolve_diagnosis("recurrent mesenchymal chondrosarcoma")
    assert match is not None and match.code == "CS_MES"


@pytest.mark.parametrize(
    "text",
    ["Ewing sarcoma or DSRCT", "not Ewing sarcoma", "Ewing sarcoma versus synovial sarcoma"],
)
def test_alternatives_and_negations_are_not_read(text):
    assert resolve_diagnosis(text) is None
    assert "several possibilities" in load_knowledge().why_unresolved(text)


def test_abbreviations_are_not_read_inside_a_text():
    assert resolve_diagnosis("ES of the femur") is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (None, "no diagnosis was submitted"),
        ("", "no diagnosis was submitted"),
        ("   ", "no diagnosis was submitted"),
        ("Sarcoma NOS", "it names no sarcoma type"),
        ("high-grade myxoid sarcoma", "it names no sarcoma type"),
        ("Glioblastoma", "brain tumour"),
        ("qwerty", "names no class or family"),
    ],
)
def test_unresolved_diagnoses_say_why(text, reason):
    assert resolve_diagnosis(text) is None
    assert reason in load_knowledge().why_unresolved(text)


def test_match_to_dict():
    match = resolve_diagnosis("Ewing´s sarcoma")
    assert match is not None
    assert match.to_dict() == {
        "text": "Ewing´s sarcoma",
        "level": "class",
        "code": "EWS",
        "family": "ROUND_CELL",
        "how": "exact",
        "matched": "Ewing´s sarcoma",
        "note": None,
        "malignant": True,
        "hedge": None,
    }


def test_normalise_diagnosis():
    assert normalise_diagnosis("Ewing´s Sarcoma") == "ewing sarcoma"
    assert normalise_diagnosis("Giant cell tumour of bone") == "giant cell tumor bone"
    assert normalise_diagnosis("Sarcoma not otherwise specified") == "sarcoma nos"
    assert normalise_diagnosis("Épithélioïde") == "epithelioide"


# -- table validation ------------------------------------------------------------

CLASS_ROWS = [("EWS", "Ewing sarcoma", "methylation class Ewing´s sarcoma", "ROUND_CELL", True)]
FAMILIES = {"ROUND_CELL": "round cell sarcomas"}


def _row(text, level, target, kind="synonym"):
    return (
        "test.csv line 2",
        {"text": text, "level": level, "target": target, "kind": kind, "note": ""},
    )


def test_synonyms_that_read_alike_must_agree():
    rows = [_row("Ewing sarcoma", "class", "EWS"), _row("EWING-SARCOMA", "family", "ROUND_CELL")]
    with pytest.raises(ValueError, match="reads like 'Ewing sarcoma', another target"):
        DiagnosisResolver.from_rows(rows, CLASS_ROWS, FAMILIES)


@pytest.mark.parametrize(
    ("level", "target"), [("class", "NOPE"), ("family", "EWS"), ("none", "EWS"), ("kind", "")]
)
def test_synonym_targets_must_exist(level, target):
    with pytest.raises(ValueError, match=r"test\.csv line 2: level"):
        DiagnosisResolver.from_rows([_row("x", level, target)], CLASS_ROWS, FAMILIES)


def test_fusion_rows_are_checked():
    kinds = {"fusion": "fusion", "mutation": "mutation"}
    classes = {"EWS": "Ewing sarcoma"}
    good = {
        "class_code": "EWS",
        "kind": "fusion",
        "gene_5p": "EWSR1",
        "gene_3p": "FLI1",
        "variant": "",
        "role": "defining",
        "frequency": "most",
        "obligate": "no",
        "note": "",
        "source": "WHO 2020 ST&B: Ewing sarcoma",
    }
    approved = {"EWSR1", "FLI1", "IDH1"}.__contains__

    def read(**change):
        return read_alteration("f", {**good, **change}, classes, kinds, approved)

    assert read().name == "EWSR1::FLI1"
    assert read(gene_3p="*", role="variant_partner").name == "EWSR1 fusion (any partner)"
    assert read(kind="mutation", gene_5p="IDH1", gene_3p="", variant="R132").name == (
        "IDH1 R132 mutation"
    )
    for change, message in [
        ({"class_code": "XX"}, "unknown class code 'XX'"),
        ({"kind": "deletion"}, "unknown kind"),
        ({"gene_3p": ""}, "needs 2 gene symbol"),
        ({"kind": "mutation"}, "needs 1 gene symbol"),
        ({"gene_3p": "FLI9"}, r"\['FLI9'\] are not HGNC-approved symbols"),
        ({"role": "typical"}, "role 'typical' or frequency 'most' is unknown"),
        ({"frequency": "often"}, "frequency 'often' is unknown"),
        ({"gene_3p": "*"}, "a wildcard partner is exactly a variant_partner row"),
        ({"role": "variant_partner"}, "a wildcard partner is exactly a variant_partner row"),
        ({"source": ""}, "the source is required"),
        ({"obligate": "maybe"}, "obligate must be yes or no"),
    ]:
        with pytest.raises(ValueError, match=message):
            read(**change)


def test_every_knowledge_row_names_its_source():
    kb = load_knowledge()
    assert all(a.source for a in kb.alterations)
    assert all(r.source for r in kb.evidence)
    assert all(r.source for r in kb.ihc)
    data = resources.files("classifier") / "data"
    for name in ("diagnosis_synonyms.csv", "diagnosis_codes.csv", "families.csv", "ihc_clones.csv"):
        with (data / name).open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert rows and all(r["source"].strip() for r in rows), name


def test_every_gene_of_the_knowledge_base_is_hgnc_approved():
    symbols = load_gene_symbols()
    genes = {g for a in load_knowledge().alterations for g in a.genes if g != "*"}
    assert genes <= symbols.approved
    assert {"H3-3A", "H3-3B", "EWSR1", "NUTM2A", "SS18L1"} <= symbols.approved


def test_no_family_level_diagnosis_points_at_a_family_whose_agreement_is_not_reported():
    kb = load_knowledge()
    targets = {e.target for e in kb.diagnoses.entries.values() if e.level == "family"}
    targets |= {e.target for e in kb.diagnoses.codes.values() if e.level == "family"}
    assert all(kb.family_concordance[t] for t in targets)


def test_families_that_hold_benign_and_malignant_classes_are_known():
    # A family-level call in these cannot speak to benign versus malignant.
    kb = load_knowledge()
    mixed = {f for f in kb.family_names if kb.family_is_malignant(f) is None}
    assert {"SMOOTH_MUSCLE", "ADIPOCYTIC", "OSTEOGENIC", "NERVE_SHEATH", "CARTILAGE"} <= mixed
    assert kb.family_is_malignant("ROUND_CELL") is True
    assert kb.family_is_malignant("USP6_REACTIVE") is False


def test_behaviour_of_classes():
    kb = load_knowledge()
    assert (kb.is_malignant("LMS"), kb.is_malignant("LM"), kb.is_malignant("WDLPS")) == (
        True,
        False,
        None,
    )
    assert kb.is_control("CTRL_REACT") and not kb.is_control("NFAS")


def test_known_clones_give_their_epitope():
    kb = load_knowledge()
    assert kb.clone_epitope("WT1", "6F-H2") == "n_terminal"
    assert kb.clone_epitope("wt1", "C19") == "c_terminal"
    assert kb.clone_epitope("WT1", "unknown") is None
