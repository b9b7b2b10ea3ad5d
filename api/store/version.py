"""The version of the service's code, recorded with every stored result."""

from __future__ import annotations

import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

__all__ = ["code_version"]

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_DISTRIBUTION = "sarcoma-methylation-classifier"


@lru_cache(maxsize=1)
def code_version() -> str:
    """``git describe --always --dirty`` of a checkout, else the installed package version."""
    if (_PROJECT_ROOT / ".git").exists():
        try:
            described = subprocess.run(
                ["git", "describe", "--always", "--dirty"],
                cwd=_PROJECT_ROOT,
                capture_output=True,
                text=True,
                check=True,
                timeout=5,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            described = ""
        if described:
            return described[:64]
    try:
        return metadata.version(_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"
