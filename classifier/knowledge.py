"""The knowledge base behind the reclassification and fusion checks.

Everything a pathologist may want to read or correct lives in versioned
tables under ``classifier/data`` (described in ``KNOWLEDGE.md`` there):

- ``fusions.csv``: the defining alterations of each class (fusions, with
  their 5' and 3' genes, and a few non-fusion alterations);
- ``alteration_kinds.csv``: how each kind of alteration is tested;
- ``evidence_methods.csv``: what a finding of each kind, method and result
  proves;
- ``ihc_markers.csv``: what an immunohistochemistry result means for a class;
- ``diagnosis_synonyms.csv``: free-text diagnoses and the class or family
  each denotes.

This module loads them once, checks them against the class table, and
answers questions about them; :mod:`classifier.diagnoses` reads free-text
diagnoses. Neither holds medical knowledge of its own.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from classifier.diagnoses import DiagnosisMatch, DiagnosisResolver
from classifier.taxonomy import load_taxonomy

__all__ = [
    "WILDCARD",
    "Alteration",
    "DiagnosisMatch",
    "EvidenceMethod",
    "IhcExpectation",
    "IhcMeaning",
    "KnowledgeBase",
    "Proves",
    "classes_defined_by",
    "classes_rearranging",
    "expected_fusions",
    "knowledge_version",
    "load_knowledge",
    "marker_key",
    "resolve_diagnosis",
]

#: Fusion partner written in ``fusions.csv`` for "any gene".
WILDCARD = "*"

_FILES = (
    "fusions.csv",
    "alteration_kinds.csv",
    "evidence_methods.csv",
    "ihc_markers.csv",
    "diagnosis_synonyms.csv",
    "knowledge_version.txt",
)
_GENE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]*$")
_EPITOPES = ("c_terminal", "n_terminal", "unspecified")


class Proves(StrEnum):
    """What a finding of a given kind, method and result establishes."""

    FUSION_PRESENT = "fusion_present"
    FUSION_ABSENT = "fusion_absent"
    REARRANGEMENT = "rearrangement"
    NO_REARRANGEMENT = "no_rearrangement"
    MARKER_POSITIVE = "marker_positive"
    MARKER_NEGATIVE = "marker_negative"
    NOTHING = "nothing"


class IhcMeaning(StrEnum):
    """What an immunohistochemistry result means for one class."""

    SUPPORTS = "supports"
    EXPECTED = "expected"
    ARGUES_AGAINST = "argues_against"
    UNINFORMATIVE = "uninformative"


@dataclass(frozen=True)
class Alteration:
    """A defining alteration of a class (a row of ``fusions.csv``).

    Attributes
    ----------
    class_code : str
    kind : str
        ``fusion``, ``internal_tandem_duplication``, ``mutation``,
        ``amplification`` or ``loss`` (see ``alteration_kinds.csv``).
    genes : tuple of str
        ``(5' gene, 3' gene)`` for a fusion, where either may be
        :data:`WILDCARD`; ``(gene,)`` otherwise.
    name : str
        Readable name, e.g. ``"EWSR1::WT1"`` or ``"MDM2 amplification"``.
    frequency, note : str
        Free text from the table (e.g. ``"minority"``).
    """

    class_code: str
    kind: str
    genes: tuple[str, ...]
    name: str
    frequency: str
    note: str

    @property
    def is_fusion(self) -> bool:
        """Whether this is a fusion of two genes."""
        return self.kind == "fusion"

    def matches_fusion(self, genes: Sequence[str]) -> bool:
        """Whether a fusion of ``genes`` (either order) is this alteration."""
        if not self.is_fusion or len(genes) != 2:
            return False
        pair = (genes[0].upper(), genes[1].upper())
        # Orientation is not checked: reports name the reciprocal transcript too.
        return any(
            all(want in (WILDCARD, got) for want, got in zip(self.genes, order, strict=True))
            for order in (pair, pair[::-1])
        )

    def involves(self, gene: str) -> bool:
        """Whether ``gene`` is one of the named genes (wildcards never match)."""
        return gene.upper() in self.genes


@dataclass(frozen=True)
class EvidenceMethod:
    """What a finding proves (a row of ``evidence_methods.csv``).

    Attributes
    ----------
    kind, method, result : str
        The finding's kind, method and result; ``method`` is ``"any"`` for
        results such as ``not_tested`` that do not depend on the method.
    method_label : str
        Readable method, e.g. ``"RNA-based NGS"``.
    proves : Proves
    explanation : str
        Plain-language meaning for the diagnostician.
    """

    kind: str
    method: str
    method_label: str
    result: str
    proves: Proves
    explanation: str


@dataclass(frozen=True)
class IhcExpectation:
    """What a stain result means for a class (a row of ``ihc_markers.csv``).

    ``epitope`` and ``pattern`` are ``None`` when the row holds for any.
    """

    class_code: str
    markers: tuple[str, ...]
    epitope: str | None
    result: str
    pattern: str | None
    meaning: IhcMeaning
    explanation: str


@dataclass(frozen=True)
class KnowledgeBase:
    """The loaded tables and the questions they answer; see :func:`load_knowledge`.

    Attributes
    ----------
    version : str
        From ``knowledge_version.txt``.
    digest : str
        First 12 hex digits of the SHA-256 of the knowledge files.
    alterations, evidence, ihc : tuple
        Rows of ``fusions.csv``, ``evidence_methods.csv`` and ``ihc_markers.csv``.
    kind_tests : mapping of str to str
        Test of each alteration kind (``alteration_kinds.csv``).
    diagnoses : DiagnosisResolver
    class_names, class_family, family_names, label_codes : mapping
        Lookups built from the taxonomy.
    """

    version: str
    digest: str
    alterations: tuple[Alteration, ...]
    kind_tests: Mapping[str, str]
    evidence: tuple[EvidenceMethod, ...]
    ihc: tuple[IhcExpectation, ...]
    diagnoses: DiagnosisResolver
    class_names: Mapping[str, str]
    class_family: Mapping[str, str]
    family_names: Mapping[str, str]
    label_codes: Mapping[str, str]

    # -- classes -----------------------------------------------------------
    def code_of(self, label: str) -> str | None:
        """Class code of a code, class name or GEO label, else ``None``."""
        if label in self.class_names:
            return label
        return self.label_codes.get(label.strip().casefold())

    def class_name(self, label: str) -> str:
        """Readable class name, or the label itself when unknown."""
        code = self.code_of(label)
        return label if code is None else self.class_names[code]

    def family_name(self, family: str) -> str:
        """Readable family name, or the code itself when unknown."""
        return self.family_names.get(family, family)

    # -- defining alterations ----------------------------------------------
    def defining_alterations(self, label: str) -> tuple[Alteration, ...]:
        """Every defining alteration of a class (code or label), in table order."""
        code = self.code_of(label)
        return tuple(a for a in self.alterations if a.class_code == code)

    def expected_fusions(self, label: str) -> tuple[Alteration, ...]:
        """The defining fusions of a class; empty for a class without one."""
        return tuple(a for a in self.defining_alterations(label) if a.is_fusion)

    def classes_defined_by(self, fusion: str | Sequence[str]) -> tuple[str, ...]:
        """Class codes that a fusion (``"A::B"`` or ``(A, B)``) defines."""
        genes = fusion.split("::") if isinstance(fusion, str) else list(fusion)
        found = (a.class_code for a in self.alterations if a.matches_fusion(genes))
        return tuple(dict.fromkeys(found))

    def classes_rearranging(self, gene: str) -> tuple[str, ...]:
        """Class codes with a defining fusion that rearranges ``gene``."""
        found = (a.class_code for a in self.alterations if a.is_fusion and a.involves(gene))
        return tuple(dict.fromkeys(found))

    def test_for(self, kind: str) -> str:
        """The test that shows an alteration of this kind."""
        return self.kind_tests[kind]

    # -- evidence ------------------------------------------------------------
    def evidence_method(self, kind: str, method: str, result: str) -> EvidenceMethod | None:
        """What a finding proves, or ``None`` for an unknown combination."""
        for row in self.evidence:
            if row.kind == kind and row.result == result and row.method in (method, "any"):
                return row
        return None

    def methods_for(self, kind: str) -> tuple[str, ...]:
        """Accepted methods of a finding kind (``"any"`` excluded)."""
        rows = (r.method for r in self.evidence if r.kind == kind and r.method != "any")
        return tuple(dict.fromkeys(rows))

    def results_for(self, kind: str) -> tuple[str, ...]:
        """Accepted results of a finding kind."""
        return tuple(dict.fromkeys(r.result for r in self.evidence if r.kind == kind))

    def ihc_expectation(
        self,
        label: str,
        marker: str,
        result: str,
        *,
        epitope: str = "unspecified",
        pattern: str | None = None,
    ) -> IhcExpectation | None:
        """The most specific row for a stain result in a class, or ``None``.

        A row naming the epitope or pattern beats a row that holds for any.
        """
        code, key = self.code_of(label), marker_key(marker)
        pat = marker_key(pattern) if pattern else None
        best: tuple[int, IhcExpectation] | None = None
        for row in self.ihc:
            if row.class_code != code or key not in row.markers or row.result != result:
                continue
            if row.epitope not in (None, epitope) or row.pattern not in (None, pat):
                continue
            rank = (row.epitope is not None) + (row.pattern is not None)
            if best is None or rank > best[0]:
                best = (rank, row)
        return None if best is None else best[1]

    # -- diagnoses -----------------------------------------------------------
    def resolve_diagnosis(self, text: str | None) -> DiagnosisMatch | None:
        """Read a free-text diagnosis as a class or family, else ``None``.

        See :class:`~classifier.diagnoses.DiagnosisResolver` and
        :meth:`why_unresolved`.
        """
        return self.diagnoses.resolve(text)

    def why_unresolved(self, text: str | None) -> str:
        """Plain-language reason why :meth:`resolve_diagnosis` gave ``None``."""
        return self.diagnoses.why_unresolved(text)


@cache
def load_knowledge() -> KnowledgeBase:
    """Load and check the packaged knowledge tables (cached).

    Returns
    -------
    KnowledgeBase

    Raises
    ------
    ValueError
        If a table names an unknown class, family, kind or value, or two
        synonyms that read alike point at different targets; the message
        names the file and row.
    """
    data = resources.files("classifier") / "data"
    raw = {name: (data / name).read_bytes() for name in _FILES}
    digest = hashlib.sha256(b"".join(raw[n] for n in _FILES)).hexdigest()[:12]
    version = next(
        line.strip()
        for line in raw["knowledge_version.txt"].decode("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    taxonomy = load_taxonomy()
    class_family = {str(c): str(f) for c, f in taxonomy.classes["family"].items()}
    family_names = {str(f): str(n) for f, n in taxonomy.families["name"].items()}
    class_names = {str(c): str(n) for c, n in taxonomy.classes["name"].items()}
    label_codes: dict[str, str] = {}
    for code, row in taxonomy.classes.iterrows():
        for label in (code, row["name"], row["geo_label"]):
            label_codes[str(label).strip().casefold()] = str(code)

    kind_tests = {r["kind"]: r["test"] for _, r in _rows(raw, "alteration_kinds.csv")}
    kind_labels = {r["kind"]: r["label"] for _, r in _rows(raw, "alteration_kinds.csv")}
    alterations = tuple(
        _alteration(n, r, class_names, kind_labels) for n, r in _rows(raw, "fusions.csv")
    )
    evidence = tuple(_evidence(n, r) for n, r in _rows(raw, "evidence_methods.csv"))
    ihc_results = {e.result for e in evidence if e.kind == "ihc"}
    ihc = tuple(_ihc(n, r, class_names, ihc_results) for n, r in _rows(raw, "ihc_markers.csv"))
    class_rows = [
        (str(code), str(row["name"]), str(row["geo_label"]), str(row["family"]))
        for code, row in taxonomy.classes.iterrows()
    ]
    diagnoses = DiagnosisResolver.from_rows(
        _rows(raw, "diagnosis_synonyms.csv"), class_rows, family_names
    )
    return KnowledgeBase(
        version=version,
        digest=digest,
        alterations=alterations,
        kind_tests=kind_tests,
        evidence=evidence,
        ihc=ihc,
        diagnoses=diagnoses,
        class_names=class_names,
        class_family=class_family,
        family_names=family_names,
        label_codes=label_codes,
    )


def knowledge_version() -> str:
    """Version of the knowledge tables (``knowledge_version.txt``)."""
    return load_knowledge().version


def expected_fusions(class_code: str) -> tuple[str, ...]:
    """Names of the defining fusions of a class, e.g. ``("EWSR1::WT1",)``."""
    return tuple(a.name for a in load_knowledge().expected_fusions(class_code))


def classes_defined_by(fusion: str | Sequence[str]) -> tuple[str, ...]:
    """Class codes a fusion defines: ``"EWSR1::ATF1"`` gives ``("CCS", "AFH")``."""
    return load_knowledge().classes_defined_by(fusion)


def classes_rearranging(gene: str) -> tuple[str, ...]:
    """Class codes in which ``gene`` rearranges (a break-apart probe splits)."""
    return load_knowledge().classes_rearranging(gene)


def resolve_diagnosis(text: str | None) -> DiagnosisMatch | None:
    """Read a free-text diagnosis as a class or family; see :class:`KnowledgeBase`."""
    return load_knowledge().resolve_diagnosis(text)


def marker_key(marker: str) -> str:
    """Comparison key of a stain name: upper case, letters and digits only."""
    return re.sub(r"[^A-Z0-9]", "", marker.upper())


def _rows(raw: Mapping[str, bytes], name: str) -> Iterator[tuple[str, dict[str, str]]]:
    reader = csv.DictReader(raw[name].decode("utf-8").splitlines())
    for line, row in enumerate(reader, start=2):
        yield f"{name} line {line}", {k: (v or "").strip() for k, v in row.items()}


def _alteration(
    where: str, row: dict[str, str], classes: Mapping[str, str], kinds: Mapping[str, str]
) -> Alteration:
    code, kind = row["class_code"], row["kind"]
    if code not in classes:
        raise ValueError(f"{where}: unknown class code {code!r}")
    if kind not in kinds:
        raise ValueError(f"{where}: unknown kind {kind!r}; expected one of {sorted(kinds)}")
    genes = tuple(g for g in (row["gene_5p"], row["gene_3p"]) if g)
    want = 2 if kind == "fusion" else 1
    named = [g for g in genes if g != WILDCARD]
    if len(genes) != want or not named or not all(_GENE.match(g) for g in named):
        raise ValueError(f"{where}: a {kind} needs {want} gene symbol(s), got {genes}")
    if kind != "fusion":
        name = f"{genes[0]} {kinds[kind]}"
    elif WILDCARD in genes:
        name = f"{named[0]} fusion (any partner)"
    else:
        name = "::".join(genes)
    return Alteration(code, kind, genes, name, row["frequency"], row["note"])


def _evidence(where: str, row: dict[str, str]) -> EvidenceMethod:
    if row["proves"] not in set(Proves):
        raise ValueError(f"{where}: unknown proves {row['proves']!r}; expected {list(Proves)}")
    return EvidenceMethod(
        kind=row["kind"],
        method=row["method"],
        method_label=row["method_label"],
        result=row["result"],
        proves=Proves(row["proves"]),
        explanation=row["explanation"],
    )


def _ihc(
    where: str, row: dict[str, str], classes: Mapping[str, str], results: set[str]
) -> IhcExpectation:
    if row["class_code"] not in classes:
        raise ValueError(f"{where}: unknown class code {row['class_code']!r}")
    if row["epitope"] and row["epitope"] not in _EPITOPES:
        raise ValueError(f"{where}: unknown epitope {row['epitope']!r}; expected {_EPITOPES}")
    if row["result"] not in results or row["meaning"] not in set(IhcMeaning):
        raise ValueError(f"{where}: unknown result {row['result']!r} or meaning {row['meaning']!r}")
    return IhcExpectation(
        class_code=row["class_code"],
        markers=tuple(marker_key(m) for m in row["marker"].split("|")),
        epitope=row["epitope"] or None,
        result=row["result"],
        pattern=marker_key(row["pattern"]) if row["pattern"] else None,
        meaning=IhcMeaning(row["meaning"]),
        explanation=row["explanation"],
    )
