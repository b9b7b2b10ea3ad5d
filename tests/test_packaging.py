"""The wheel holds every file the installed product reads at run time.

The container image installs the project from a wheel, not from the source
tree, so a template, a migration or a data file missing from
``[tool.setuptools.package-data]`` would break the image while every other
test (run from an editable install) passes.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("api", "classifier", "training")

pytestmark = pytest.mark.slow


def _source_files() -> set[str]:
    files = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.add(path.relative_to(ROOT).as_posix())
    return files


def test_wheel_contains_every_source_and_data_file(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packaged = {name for name in archive.namelist() if name.split("/")[0] in PACKAGES}
    missing = sorted(_source_files() - packaged)
    assert missing == [], f"not in the wheel: {missing}"
    assert "api/templates/case.html" in packaged
    assert "classifier/data/probe_manifest.parquet" in packaged
