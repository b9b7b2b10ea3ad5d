"""Whether a command line's ``--out`` can be written, asked before any work.

The training commands read large inputs and compute for minutes before they
write; a file standing where a directory must go (or the other way round)
is found at the start, in one line, instead of as a traceback at the end.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["directory_problem", "file_problem"]


def directory_problem(out: Path, what: str) -> str | None:
    """Why a directory cannot be created at ``out``, or None.

    Only a file in the way is found (the common mistake); permissions are
    the operating system's to refuse when the directory is written.

    Parameters
    ----------
    out : Path
        The ``--out`` given; it and its missing parents are created later.
    what : str
        What goes there, for the message (``"the bundle"``, ``"the cohort"``).

    Returns
    -------
    str or None
        The message for the command line (``--out ... is a file; ...``).
    """
    existing = _nearest_existing(out)
    if existing.is_dir():
        return None
    if existing == out:
        return f"--out {out} is a file; give a directory for {what}"
    return f"--out {out} cannot be created: {existing} is a file"


def file_problem(out: Path, what: str) -> str | None:
    """Why a file cannot be written at ``out``, or None.

    Parameters
    ----------
    out : Path
        The ``--out`` given; its missing parent directories are created later.
    what : str
        What goes there, for the message (``"a profile (JSON)"``).

    Returns
    -------
    str or None
        The message for the command line.
    """
    if out.is_dir():
        return f"--out {out} is a directory; {what} is written to a file"
    existing = _nearest_existing(out.parent)
    if existing.is_dir():
        return None
    return f"--out {out} cannot be created: {existing} is a file"


def _nearest_existing(path: Path) -> Path:
    # The current directory exists, so a relative path always ends somewhere.
    return next(p for p in (path, *path.parents) if p.exists())
