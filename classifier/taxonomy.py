"""The methylation classes and families of the sarcoma classifier.

The tables live in ``classifier/data/classes.csv`` and
``classifier/data/families.csv`` so that a pathologist can read and correct
them without touching code. They follow the 65 labels of Koelsche et al.
2021 (GEO GSE140686); the family grouping is ours, drawn from the WHO
classification and the clusters of the published t-SNE.

A cohort a user brings may use other labels; :meth:`Taxonomy.family_of`
then falls back to the label itself as its own family, so that training
never depends on the table covering every label.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

from classifier.errors import ClassifierError

__all__ = ["Taxonomy", "load_taxonomy"]


@dataclass(frozen=True)
class Taxonomy:
    """Class and family tables.

    Attributes
    ----------
    classes : pandas.DataFrame
        One row per class, indexed by ``code``, with columns ``name``,
        ``geo_label``, ``family`` and ``group``.
    families : pandas.DataFrame
        One row per family, indexed by ``family``, with ``name`` and
        ``description``.
    """

    classes: pd.DataFrame
    families: pd.DataFrame

    def family_of(self, label: str) -> str:
        """Return the family code of a class code or GEO label.

        Labels the table does not know form a family of their own.
        """
        code = self.code_of(label)
        if code is None:
            return label
        return str(self.classes.at[code, "family"])

    def code_of(self, label: str) -> str | None:
        """Return the class code for a code, a class name or a GEO label, else ``None``."""
        if label in self.classes.index:
            return label
        key = label.strip().casefold()
        return self._by_name().get(key)

    def display_name(self, label: str) -> str:
        """Return the readable class name, or the label itself when unknown."""
        code = self.code_of(label)
        return label if code is None else str(self.classes.at[code, "name"])

    def family_name(self, family: str) -> str:
        """Return the readable family name, or the code itself when unknown."""
        if family in self.families.index:
            return str(self.families.at[family, "name"])
        return family

    def _by_name(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for code, row in self.classes.iterrows():
            for text in (code, row["name"], row["geo_label"]):
                out[str(text).strip().casefold()] = str(code)
        return out


@cache
def load_taxonomy() -> Taxonomy:
    """Load the packaged class and family tables (cached).

    Returns
    -------
    Taxonomy
        The tables, validated: every class names a known family.

    Raises
    ------
    ClassifierError
        With ``field="family"`` if ``classes.csv`` names a family that
        ``families.csv`` lacks.
    """
    data = resources.files("classifier") / "data"
    with (data / "classes.csv").open(encoding="utf-8") as fh:
        classes = pd.read_csv(fh, dtype=str).set_index("code")
    with (data / "families.csv").open(encoding="utf-8") as fh:
        families = pd.read_csv(fh, dtype=str).set_index("family")
    unknown = sorted(set(classes["family"]) - set(families.index))
    if unknown:
        raise ClassifierError(
            f"classes.csv names families missing from families.csv: {unknown}", field="family"
        )
    return Taxonomy(classes=classes, families=families)
