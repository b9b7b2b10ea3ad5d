"""Exceptions raised by the domain.

Every error a caller can provoke with bad input derives from
:class:`ClassifierError`, which is also a :class:`ValueError`, so that a
notebook user can catch the familiar built-in while the service maps the
specific subclasses to HTTP 4xx responses. Messages name the field, what
was expected and what came.
"""

from __future__ import annotations

__all__ = [
    "ClassifierError",
    "CohortFormatError",
    "InsufficientCoverageError",
    "InvalidBetaValueError",
    "InvalidProbeIdError",
    "ModelBundleError",
    "SparseTrainingDataError",
    "UnknownFindingError",
    "UnknownGeneError",
]


class ClassifierError(ValueError):
    """Base class of every input error raised by :mod:`classifier`.

    Parameters
    ----------
    message : str
        Human-readable explanation naming what was expected and what came.
    field : str, optional
        The input field the error is about (e.g. ``"betas"``), so that the
        HTTP layer can point at it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidProbeIdError(ClassifierError):
    """A string that is not an Infinium probe identifier, or a duplicate one."""


class InvalidBetaValueError(ClassifierError):
    """A beta value that is non-numeric, infinite or outside [0, 1]."""


class InsufficientCoverageError(ClassifierError):
    """Too few of the model's CpGs were measured to classify a profile."""


class SparseTrainingDataError(ClassifierError):
    """Training data in which no CpG is measured in enough samples to be selected."""


class CohortFormatError(ClassifierError):
    """A cohort directory or user-supplied matrix that cannot be read."""


class ModelBundleError(ClassifierError):
    """A model bundle that is missing, incomplete or of an unknown version."""


class UnknownFindingError(ClassifierError):
    """A molecular finding of an unknown kind, method or result."""


class UnknownGeneError(UnknownFindingError):
    """A gene symbol that is neither HGNC-approved nor a previous HGNC symbol."""
