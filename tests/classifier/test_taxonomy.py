"""The class and family tables: lookups, fallbacks and validation of the data files."""

from types import SimpleNamespace

import pytest

import classifier.taxonomy as taxonomy_module
from classifier.errors import ClassifierError
from classifier.taxonomy import load_taxonomy


@pytest.fixture
def packaged_data(tmp_path, monkeypatch):
    """Point ``load_taxonomy`` at a copy of its data files that a test may edit."""
    data = tmp_path / "data"
    data.mkdir()
    real = taxonomy_module.resources.files("classifier") / "data"
    for name in ("classes.csv", "families.csv"):
        (data / name).write_text((real / name).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(taxonomy_module, "resources", SimpleNamespace(files=lambda _: tmp_path))
    load_taxonomy.cache_clear()
    yield data
    load_taxonomy.cache_clear()  # the next caller gets the packaged tables again


def test_every_class_has_a_known_family():
    taxonomy = load_taxonomy()
    assert len(taxonomy.classes) == 65
    assert set(taxonomy.classes["family"]) <= set(taxonomy.families.index)
    assert taxonomy.family_of("DSRCT") == "ROUND_CELL"


def test_unknown_labels_form_a_family_of_their_own():
    taxonomy = load_taxonomy()
    assert taxonomy.code_of("tumour type A") is None
    assert taxonomy.family_of("tumour type A") == "tumour type A"
    assert taxonomy.display_name("tumour type A") == "tumour type A"


def test_a_class_naming_an_unknown_family_is_a_classifier_error(packaged_data):
    classes = packaged_data / "classes.csv"
    classes.write_text(classes.read_text().replace(",ROUND_CELL,", ",ROUND_CELLS,"))
    with pytest.raises(
        ClassifierError, match=r"missing from families.csv: \['ROUND_CELLS'\]"
    ) as exc:
        load_taxonomy()
    assert isinstance(exc.value, ValueError)  # callers catching ValueError keep working
    assert exc.value.field == "family"
