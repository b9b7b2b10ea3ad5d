"""The version of this code: recorded in every model bundle and every stored result."""

from __future__ import annotations

import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

__all__ = ["code_version"]

_PROJECT_ROOT = Path(__file__).resolve().parents[1]
_DISTRIBUTION = "sarcoma-methylation-classifier"
# The width of the results.code_version column.
_MAX_LENGTH = 64


@lru_cache(maxsize=4)
def code_version(override: str | None = None) -> str:
    """The version of the running code.

    Parameters
    ----------
    override : str, optional
        A version given by the deployment (the ``CODE_VERSION`` of a container
        image, passed on by the service's settings); used when not blank.
        This module reads no environment variable.

    Returns
    -------
    str
        ``override``; else ``git describe --always --dirty`` of a checkout;
        else the installed package version (or ``"unknown"``). At most 64
        characters.
    """
    if override and override.strip():
        return override.strip()[:_MAX_LENGTH]
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
            return described[:_MAX_LENGTH]
    try:
        return metadata.version(_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"
