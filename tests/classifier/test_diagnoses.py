import pytest

from classifier.diagnoses import DiagnosisCode, parse_diagnosis_code
from classifier.errors import ClassifierError
from classifier.knowledge import load_knowledge


@pytest.mark.parametrize(
    ("obj", "code"),
    [
        ({"system": "ICD-O-3", "code": "8806/3"}, DiagnosisCode("ICD-O-3", "8806/3")),
        ({"system": "icdo3", "code": " 9364/3 "}, DiagnosisCode("ICD-O-3", "9364/3")),
        ({"system": "oncotree", "code": "dsrct"}, DiagnosisCode("OncoTree", "DSRCT")),
        (None, None),
    ],
)
def test_codes_are_read(obj, code):
    assert parse_diagnosis_code(obj) == code


@pytest.mark.parametrize(
    ("obj", "field", "message"),
    [
        ("8806/3", "diagnosis_code", "must be an object with 'system' and 'code', got str"),
        ({"code": "8806/3"}, "diagnosis_code.system",
         "system is missing; accepted: ICD-O-3, OncoTree"),
        ({"system": "SNOMED", "code": "1"}, "diagnosis_code.system", "unknown system 'SNOMED'"),
        ({"system": "ICD-O-3"}, "diagnosis_code.code", "code is missing"),
        ({"system": "ICD-O-3", "code": "88063"}, "diagnosis_code.code",
         "not a ICD-O-3 code; expected 4 digits"),
        ({"system": "OncoTree", "code": "dsrct!"}, "diagnosis_code.code", "not a OncoTree code"),
        ({"system": "ICD-O-3", "code": "8806/3", "version": "3.2"}, "diagnosis_code.version",
         "has no field 'version'"),
    ],
)  # fmt: skip
def test_bad_codes_name_the_field(obj, field, message):
    with pytest.raises(ClassifierError, match=message) as err:
        parse_diagnosis_code(obj)
    assert err.value.field == field


def test_an_unknown_code_is_not_read_and_says_why():
    kb = load_knowledge()
    code = DiagnosisCode("ICD-O-3", "9999/3")
    assert kb.resolve_diagnosis_code(code) is None
    assert kb.diagnoses.why_code_unresolved(code) == (
        "ICD-O-3 9999/3 names no class or family of the classifier"
    )


def test_a_qualifier_beside_a_known_phrase_is_named_in_the_reason():
    kb = load_knowledge()
    assert kb.resolve_diagnosis("Retiform angiosarcoma of the thigh") is None
    assert kb.why_unresolved("Retiform angiosarcoma of the thigh") == (
        "the words 'retiform' beside 'Angiosarcoma' may name another entity, so it is not read "
        "as that diagnosis"
    )


def test_a_hedge_is_read_and_kept():
    match = load_knowledge().resolve_diagnosis("Consistent with synovial sarcoma")
    assert match is not None and (match.code, match.hedge) == ("SS", "consistent with")


def test_like_names_another_entity():
    kb = load_knowledge()
    # "Ewing-like" is in the table (family level); an unlisted "-like" phrase is not read at all
    assert kb.resolve_diagnosis("Synovial sarcoma-like tumour") is None
