"""The house plan: docs/architecture.md maps every folder and module, and names stay distinct."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAP = (ROOT / "docs" / "architecture.md").read_text()


def _mentioned(name: str) -> bool:
    # Inside a code span, not as part of a longer name.
    return re.search(rf"`[^`]*(?<![\w.]){re.escape(name)}(?!\w)[^`]*`", MAP) is not None


def test_every_api_folder_and_top_level_module_is_on_the_map():
    api = ROOT / "api"
    folders = [p.name + "/" for p in api.iterdir() if (p / "__init__.py").is_file()]
    modules = [p.name for p in api.glob("*.py") if p.name != "__init__.py"]
    missing = [name for name in folders + modules if not _mentioned(name)]
    assert missing == []


def test_every_domain_and_training_module_is_on_the_map():
    names = []
    for package in ("classifier", "training"):
        for path in (ROOT / package).iterdir():
            if path.suffix == ".py" and path.name != "__init__.py":
                names.append(path.name)
            elif (path / "__init__.py").is_file():
                names.append(path.name + "/")
    missing = [name for name in names if not _mentioned(name)]
    assert missing == []


def test_the_map_names_no_module_that_is_gone():
    named = set(re.findall(r"\b([a-z_]+\.py)\b", MAP))
    present = {p.name for p in ROOT.glob("*/**/*.py") if ".venv" not in p.parts}
    assert sorted(named - present) == []


def test_no_two_modules_of_the_service_share_a_name():
    names = [p.name for p in (ROOT / "api").rglob("*.py") if p.name != "__init__.py"]
    assert sorted({n for n in names if names.count(n) > 1}) == []
