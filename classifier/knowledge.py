"""The knowledge base behind the reclassification and fusion checks.

Everything a pathologist may want to read or correct lives in versioned
tables under ``classifier/data`` (described in ``KNOWLEDGE.md`` there):

- ``fusions.csv``: the alterations of each class (fusions with their 5'
  and 3' genes, variant partners, mutations, amplifications, losses) and
  what each means for the class (defining, characteristic, occurs);
- ``alteration_kinds.csv``: how each kind of alteration is tested;
- ``evidence_methods.csv``: what a finding of each kind, method and result
  proves, and which negatives are sensitive;
- ``ihc_markers.csv``: what an immunohistochemistry result means for a class;
- ``diagnosis_synonyms.csv`` and ``diagnosis_codes.csv``: free-text
  diagnoses and ICD-O-3 / OncoTree codes, and the class or family each denotes;
- ``classes.csv`` and ``families.csv`` (via :mod:`classifier.taxonomy`): the
  behaviour of each class and whether family-level agreement may be reported.

This module loads them once, checks them against the class table and the
HGNC symbols, and answers questions about them. It holds no medical
knowledge of its own.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from classifier.diagnoses import DiagnosisCode, DiagnosisMatch, DiagnosisResolver
from classifier.genes import load_gene_symbols
from classifier.knowledge_rows import (
    WILDCARD,
    Alteration,
    AlterationRole,
    EvidenceMethod,
    IhcExpectation,
    IhcMeaning,
    Proves,
    ihc_result_key,
    marker_key,
    read_alteration,
    read_evidence,
    read_ihc,
)
from classifier.taxonomy import load_taxonomy

__all__ = [
    "WILDCARD",
    "Alteration",
    "AlterationRole",
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

_FILES = (
    "fusions.csv",
    "alteration_kinds.csv",
    "evidence_methods.csv",
    "ihc_markers.csv",
    "ihc_clones.csv",
    "diagnosis_synonyms.csv",
    "diagnosis_codes.csv",
    "classes.csv",
    "families.csv",
    "knowledge_version.txt",
)
_BEHAVIOURS = {
    "benign": False,
    "intermediate": False,
    "malignant": True,
    "mixed": None,
    "control": None,
}
_ACCEPTING = (AlterationRole.DEFINING, AlterationRole.VARIANT_PARTNER)


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
    class_behaviour : mapping of str to str
        ``benign``, ``intermediate``, ``malignant``, ``mixed`` (a class
        holding entities of both kinds, e.g. ALT and DDLPS) or ``control``.
    family_concordance : mapping of str to bool
        Whether agreement at the level of the family may be reported
        (``families.csv``: no for groupings of distinct entities).
    clone_epitopes : mapping of (marker key, clone key) to str
        The epitope an antibody clone binds (``ihc_clones.csv``).
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
    class_behaviour: Mapping[str, str]
    family_concordance: Mapping[str, bool]
    clone_epitopes: Mapping[tuple[str, str], str]

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

    def family_of(self, label: str) -> str | None:
        """Family code of a class (code or label), else ``None``."""
        code = self.code_of(label)
        return None if code is None else self.class_family[code]

    def is_control(self, label: str) -> bool:
        """Whether a class is a non-tumour control (blood, muscle, reactive tissue)."""
        code = self.code_of(label)
        return code is not None and self.class_behaviour[code] == "control"

    def is_malignant(self, label: str) -> bool | None:
        """``True``/``False`` for a malignant / benign or intermediate class; ``None``
        for a mixed or control class or an unknown label."""
        code = self.code_of(label)
        return None if code is None else _BEHAVIOURS[self.class_behaviour[code]]

    def family_is_malignant(self, family: str) -> bool | None:
        """The common behaviour of a family's classes, ``None`` when they differ."""
        values = {
            _BEHAVIOURS[self.class_behaviour[c]]
            for c, f in self.class_family.items()
            if f == family
        }
        return values.pop() if len(values) == 1 else None

    # -- alterations ---------------------------------------------------------
    def alterations_of(self, label: str) -> tuple[Alteration, ...]:
        """Every row of ``fusions.csv`` for a class (code or label), in table order."""
        code = self.code_of(label)
        return tuple(a for a in self.alterations if a.class_code == code)

    def defining_alterations(self, label: str) -> tuple[Alteration, ...]:
        """The defining alterations of a class (no variant partners)."""
        return tuple(a for a in self.alterations_of(label) if a.role is AlterationRole.DEFINING)

    def expected_fusions(self, label: str) -> tuple[Alteration, ...]:
        """The defining fusions of a class, partners named; empty for a class without one."""
        return tuple(a for a in self.defining_alterations(label) if a.is_fusion)

    def variant_partners(self, label: str) -> tuple[Alteration, ...]:
        """The class's obligate genes that accept any partner (wildcard rows)."""
        return tuple(
            a for a in self.alterations_of(label) if a.role is AlterationRole.VARIANT_PARTNER
        )

    def classes_defined_by(self, fusion: str | Sequence[str]) -> tuple[str, ...]:
        """Class codes whose defining fusion or variant partner a fusion is."""
        genes = fusion.split("::") if isinstance(fusion, str) else list(fusion)
        found = (
            a.class_code
            for a in self.alterations
            if a.role in _ACCEPTING and a.matches_fusion(genes)
        )
        return tuple(dict.fromkeys(found))

    def classes_rearranging(self, gene: str) -> tuple[str, ...]:
        """Class codes with a fusion row that names ``gene`` (not as a wildcard)."""
        found = (
            a.class_code
            for a in self.alterations
            if a.is_fusion and a.role in _ACCEPTING and a.involves(gene)
        )
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

        A row naming the epitope or pattern beats a row that holds for any;
        ``lost`` reads as ``negative`` and ``retained`` as ``positive``.
        """
        code = self.code_of(label)
        return _best_stain(
            (r for r in self.ihc if r.class_code == code), marker, result, epitope, pattern
        )

    def stain_points_to(
        self, marker: str, result: str, *, epitope: str = "unspecified", pattern: str | None = None
    ) -> tuple[str, ...]:
        """Classes for which this stain result is a specific surrogate (``specific`` rows)."""
        codes = dict.fromkeys(r.class_code for r in self.ihc)
        return tuple(
            code
            for code in codes
            if (row := _best_stain(
                (r for r in self.ihc if r.class_code == code), marker, result, epitope, pattern
            )) is not None
            and row.meaning is IhcMeaning.SPECIFIC
        )  # fmt: skip

    def clone_epitope(self, marker: str, clone: str) -> str | None:
        """The epitope a known antibody clone binds (WT1 6F-H2: ``n_terminal``), else ``None``."""
        return self.clone_epitopes.get((marker_key(marker), marker_key(clone)))

    # -- diagnoses -----------------------------------------------------------
    def resolve_diagnosis(self, text: str | None) -> DiagnosisMatch | None:
        """Read a free-text diagnosis as a class or family, else ``None``.

        See :class:`~classifier.diagnoses.DiagnosisResolver` and
        :meth:`why_unresolved`.
        """
        return self.diagnoses.resolve(text)

    def resolve_diagnosis_code(self, code: DiagnosisCode) -> DiagnosisMatch | None:
        """Read an ICD-O-3 or OncoTree code as a class or family, else ``None``."""
        return self.diagnoses.resolve_code(code)

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
        If a table names an unknown class, family, kind, gene or value, a
        row lacks its source, or two synonyms that read alike point at
        different targets; the message names the file and row.
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
    classes = taxonomy.classes
    class_family = {str(c): str(f) for c, f in classes["family"].items()}
    family_names = {str(f): str(n) for f, n in taxonomy.families["name"].items()}
    class_names = {str(c): str(n) for c, n in classes["name"].items()}
    behaviour = {str(c): str(b) for c, b in classes["behaviour"].items()}
    for code, value in behaviour.items():
        if value not in _BEHAVIOURS:
            raise ValueError(
                f"classes.csv: behaviour {value!r} of {code}; expected {list(_BEHAVIOURS)}"
            )
    concordance = {str(f): str(v) == "yes" for f, v in taxonomy.families["concordance"].items()}
    label_codes: dict[str, str] = {}
    for index, row in classes.iterrows():
        for label in (index, row["name"], row["geo_label"]):
            label_codes[str(label).strip().casefold()] = str(index)

    kinds = list(_rows(raw, "alteration_kinds.csv"))
    kind_tests = {r["kind"]: r["test"] for _, r in kinds}
    kind_labels = {r["kind"]: r["label"] for _, r in kinds}
    symbols = load_gene_symbols()
    alterations = tuple(
        read_alteration(n, r, class_names, kind_labels, symbols.approved.__contains__)
        for n, r in _rows(raw, "fusions.csv")
    )
    evidence = tuple(read_evidence(n, r) for n, r in _rows(raw, "evidence_methods.csv"))
    ihc = tuple(read_ihc(n, r, class_names) for n, r in _rows(raw, "ihc_markers.csv"))
    clone_epitopes = {
        (marker_key(r["marker"]), marker_key(r["clone"])): r["epitope"]
        for _, r in _rows(raw, "ihc_clones.csv")
    }
    class_rows = [
        (
            str(code),
            str(row["name"]),
            str(row["geo_label"]),
            str(row["family"]),
            _BEHAVIOURS[behaviour[str(code)]],
        )
        for code, row in classes.iterrows()
    ]
    # A family whose agreement is not reported (a grouping of distinct entities)
    # cannot be a diagnosis either: its name and code are not read.
    diagnoses = DiagnosisResolver.from_rows(
        _rows(raw, "diagnosis_synonyms.csv"),
        class_rows,
        {f: n for f, n in family_names.items() if concordance[f]},
        _rows(raw, "diagnosis_codes.csv"),
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
        class_behaviour=behaviour,
        family_concordance=concordance,
        clone_epitopes=clone_epitopes,
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


def _best_stain(
    rows: Iterator[IhcExpectation] | Sequence[IhcExpectation],
    marker: str,
    result: str,
    epitope: str,
    pattern: str | None,
) -> IhcExpectation | None:
    key, res = marker_key(marker), ihc_result_key(result)
    pat = marker_key(pattern) if pattern else None
    best: tuple[int, IhcExpectation] | None = None
    for row in rows:
        if key not in row.markers or row.result != res:
            continue
        if row.epitope not in (None, epitope) or row.pattern not in (None, pat):
            continue
        rank = (row.epitope is not None) + (row.pattern is not None)
        if best is None or rank > best[0]:
            best = (rank, row)
    return None if best is None else best[1]


def _rows(raw: Mapping[str, bytes], name: str) -> Iterator[tuple[str, dict[str, str]]]:
    reader = csv.DictReader(raw[name].decode("utf-8").splitlines())
    for line, row in enumerate(reader, start=2):
        if None in row:  # more fields than the header: an unquoted comma
            raise ValueError(f"{name} line {line}: more fields than the header names")
        yield f"{name} line {line}", {k: (v or "").strip() for k, v in row.items()}
