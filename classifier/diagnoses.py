"""Reading a submitted diagnosis as a class or family.

A laboratory sends a diagnosis as free text, as a class code, or as a code
of a coding system (ICD-O-3 morphology, e.g. ``8806/3``; OncoTree, e.g.
``DSRCT``). The vocabularies are ``classifier/data/diagnosis_synonyms.csv``,
``classifier/data/diagnosis_codes.csv`` and the class and family names of
the taxonomy.

Free text is read by whole phrases: after :func:`normalise_diagnosis` the
text, less a leading hedge ("favour", "consistent with"), must be a known
phrase, or a known phrase with only neutral words beside it (sites, extent,
grade, specimen: :mod:`classifier.diagnosis_words`). The longest known
phrase wins, so "parosteal osteosarcoma" (a row naming no class) is never
read as osteosarcoma; a phrase followed by "like" ("Ewing-like sarcoma") is
not that entity; an unknown word beside the phrase stops the reading, since
it may be a qualifier naming another entity ("uveal melanoma"). Negations
and alternatives ("not", "vs", "or") stop it too. Abbreviations follow the
same rule ("DSRCT of the peritoneum"): only neutral words may stand beside them.

Use it through :class:`classifier.knowledge.KnowledgeBase`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from classifier.diagnosis_words import HEDGES, NEGATIONS, NEUTRAL_WORDS
from classifier.errors import ClassifierError

__all__ = [
    "CODE_SYSTEMS",
    "DiagnosisCode",
    "DiagnosisMatch",
    "DiagnosisResolver",
    "normalise_diagnosis",
    "parse_diagnosis_code",
]

_STOPWORDS = frozenset({"of", "the", "with"})
_BEHAVIOURS = {"malignant": True, "benign": False, "unspecified": None}
#: Accepted coding systems and the form of their codes.
CODE_SYSTEMS = {
    "ICD-O-3": re.compile(r"^\d{4}/[0-369]$"),
    "OncoTree": re.compile(r"^[A-Z][A-Z0-9_]{1,19}$"),
}
_SYSTEM_KEYS = {re.sub(r"[^a-z0-9]", "", s.lower()): s for s in CODE_SYSTEMS}
_SYSTEM_KEYS |= {"icdo": "ICD-O-3", "icdo32": "ICD-O-3"}


@dataclass(frozen=True)
class DiagnosisCode:
    """A diagnosis code as submitted: ``system`` and ``code``."""

    system: str
    code: str

    def __str__(self) -> str:
        return f"{self.system} {self.code}"


@dataclass(frozen=True)
class DiagnosisMatch:
    """A submitted diagnosis read as a class or a family.

    Attributes
    ----------
    text : str
        The submitted text or code.
    level : {"class", "family"}
    code : str
        Class code when ``level == "class"``, else family code.
    family : str
        Family code (the family of the class, or ``code`` itself).
    how : {"code", "exact", "contained", "ICD-O-3", "OncoTree"}
        ``code``: a class or family code; ``exact``: the whole normalised
        text is a known phrase; ``contained``: a known phrase with neutral
        words beside it; or the coding system of a submitted code.
    matched : str
        The table entry or name that matched.
    note : str or None
        Remark from the table (e.g. why the level is family).
    malignant : bool or None
        Whether the diagnosis names a malignant tumour; ``None`` when it does
        not say (a family-level diagnosis such as "nerve sheath tumour").
    hedge : str or None
        A hedge read before the diagnosis ("favour", "consistent with").
    """

    text: str
    level: str
    code: str
    family: str
    how: str
    matched: str
    note: str | None = None
    malignant: bool | None = None
    hedge: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class _Entry:
    text: str
    level: str
    target: str | None
    containable: bool
    note: str | None
    malignant: bool | None


@dataclass(frozen=True)
class DiagnosisResolver:
    """The diagnosis vocabulary; build it with :meth:`from_rows`."""

    entries: Mapping[str, _Entry]
    codes: Mapping[tuple[str, str], _Entry]
    class_family: Mapping[str, str]
    class_malignant: Mapping[str, bool | None]
    families: frozenset[str]

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[str, Mapping[str, str]]],
        class_rows: Sequence[tuple[str, str, str, str, bool | None]],
        family_names: Mapping[str, str],
        code_rows: Iterable[tuple[str, Mapping[str, str]]] = (),
    ) -> DiagnosisResolver:
        """Build the vocabulary.

        Parameters
        ----------
        rows : iterable of (where, row)
            Rows of ``diagnosis_synonyms.csv`` (``text``, ``level``,
            ``target``, ``kind``, ``behaviour``, ``note``), with their position.
        class_rows : sequence of (code, name, geo_label, family, malignant)
            The class table.
        family_names : mapping of str to str
            Family code to readable name.
        code_rows : iterable of (where, row)
            Rows of ``diagnosis_codes.csv`` (``system``, ``code``, ``level``,
            ``target``, ``behaviour``, ``note``).

        Raises
        ------
        ValueError
            If a row names an unknown class, family, system or behaviour, or
            two rows that read alike point at different targets.
        """
        classes = {code: family for code, _, _, family, _ in class_rows}
        malignant = {code: m for code, _, _, _, m in class_rows}
        out: dict[str, _Entry] = {}
        for where, row in rows:
            entry = _entry(where, row, classes, family_names, malignant)
            key = normalise_diagnosis(row["text"])
            if key in out and (out[key].level, out[key].target) != (entry.level, entry.target):
                raise ValueError(
                    f"{where}: {row['text']!r} reads like {out[key].text!r}, another target"
                )
            out.setdefault(key, entry)
        # Names from the class table, then family names; the curated table wins.
        for code, name, geo_label, _, mal in class_rows:
            for text in (name, geo_label):
                out.setdefault(
                    normalise_diagnosis(text), _Entry(text, "class", code, True, None, mal)
                )
        for family, name in family_names.items():
            out.setdefault(
                normalise_diagnosis(name), _Entry(name, "family", family, False, None, None)
            )
        codes: dict[tuple[str, str], _Entry] = {}
        for where, row in code_rows:
            system = row["system"]
            if system not in CODE_SYSTEMS or not CODE_SYSTEMS[system].match(row["code"]):
                raise ValueError(f"{where}: {system} code {row['code']!r} is not valid")
            key2 = (system, row["code"])
            if key2 in codes:
                raise ValueError(f"{where}: {system} {row['code']} is listed twice")
            codes[key2] = _entry(where, row, classes, family_names, malignant, text=row["code"])
        return cls(
            entries=out,
            codes=codes,
            class_family=classes,
            class_malignant=malignant,
            families=frozenset(family_names),
        )

    def resolve(self, text: str | None) -> DiagnosisMatch | None:
        """Read a free-text diagnosis as a class or family, else ``None``.

        ``None`` for empty or unknown text, and for text that names no class
        (e.g. "Sarcoma not otherwise specified"); see :meth:`why_unresolved`.
        An ICD-O-3 morphology code written as the text (``8806/3``) is read
        as that code.
        """
        stripped = (text or "").strip()
        if CODE_SYSTEMS["ICD-O-3"].match(stripped):
            return self.resolve_code(DiagnosisCode("ICD-O-3", stripped))
        entry, how, hedge = self._find(text or "")
        return self._match(str(text), entry, how, hedge)

    def resolve_code(self, code: DiagnosisCode) -> DiagnosisMatch | None:
        """Read a coded diagnosis, else ``None`` (see :meth:`why_code_unresolved`)."""
        entry = self.codes.get((code.system, code.code))
        return self._match(str(code), entry, code.system, None)

    def why_unresolved(self, text: str | None) -> str:
        """Plain-language reason why :meth:`resolve` gave ``None``."""
        if not (text or "").strip():
            return "no diagnosis was submitted"
        if CODE_SYSTEMS["ICD-O-3"].match((text or "").strip()):
            return self.why_code_unresolved(DiagnosisCode("ICD-O-3", (text or "").strip()))
        entry, how, _ = self._find(text or "")
        if entry is not None and entry.note:
            return entry.note
        if how == "ambiguous":
            return "it names several possibilities or a negation, not one diagnosis"
        if how.startswith("qualifier:"):
            return (
                f"the words '{how.split(':', 1)[1]}' beside "
                f"'{entry.text if entry else ''}' may name another entity, so it is not read "
                "as that diagnosis"
            )
        return "it names no class or family of the classifier"

    def why_code_unresolved(self, code: DiagnosisCode) -> str:
        """Plain-language reason why :meth:`resolve_code` gave ``None``."""
        entry = self.codes.get((code.system, code.code))
        if entry is not None and entry.note:
            return entry.note
        return f"{code} names no class or family of the classifier"

    def _match(
        self, text: str, entry: _Entry | None, how: str, hedge: str | None
    ) -> DiagnosisMatch | None:
        if entry is None or entry.target is None or how in ("ambiguous", "none"):
            return None
        if how.startswith("qualifier:"):
            return None
        family = self.class_family[entry.target] if entry.level == "class" else entry.target
        return DiagnosisMatch(
            text=text,
            level=entry.level,
            code=entry.target,
            family=family,
            how=how,
            matched=entry.text,
            note=entry.note,
            malignant=entry.malignant,
            hedge=hedge,
        )

    def _find(self, text: str) -> tuple[_Entry | None, str, str | None]:
        stripped = text.strip()
        if stripped in self.class_family:
            mal = self.class_malignant.get(stripped)
            return _Entry(stripped, "class", stripped, False, None, mal), "code", None
        if stripped in self.families:
            return _Entry(stripped, "family", stripped, False, None, None), "code", None
        key = normalise_diagnosis(text)
        hedge, key = _strip_hedge(key)
        if not key:
            return None, "none", hedge
        if key in self.entries:
            return self.entries[key], "exact", hedge
        words = key.split()
        if NEGATIONS.intersection(words):
            return None, "ambiguous", hedge
        entry, how = self._contained(words)
        return entry, how, hedge

    def _contained(self, words: list[str]) -> tuple[_Entry | None, str]:
        spans = [
            (start, start + len(sub), entry)
            for key, entry in self.entries.items()
            if entry.containable
            for sub in [key.split()]
            for start in _find_all(words, sub)
        ]
        # Keep the longest phrases: "sarcoma" inside "ewing sarcoma" says nothing.
        widest = [
            s for s in spans if not any(o is not s and o[0] <= s[0] and s[1] <= o[1] for o in spans)
        ]
        # "Ewing-like sarcoma" is not Ewing sarcoma.
        widest = [s for s in widest if s[1] >= len(words) or words[s[1]] != "like"]
        targets = {(s[2].level, s[2].target) for s in widest}
        if len(targets) > 1:
            return None, "ambiguous"
        if not targets:
            return None, "none"
        covered = {i for s in widest for i in range(s[0], s[1])}
        others = [w for i, w in enumerate(words) if i not in covered and w not in NEUTRAL_WORDS]
        if others:
            return widest[0][2], f"qualifier:{' '.join(others[:4])}"
        return widest[0][2], "contained"


def parse_diagnosis_code(obj: Any, *, field: str = "diagnosis_code") -> DiagnosisCode | None:
    """Validate a submitted ``{"system": ..., "code": ...}``.

    ``None`` passes through. The system is matched ignoring case and
    punctuation (``"ICD-O-3"``, ``"icdo3"``, ``"oncotree"``); OncoTree codes
    are upper-cased.

    Raises
    ------
    ClassifierError
        Naming the field (``diagnosis_code.system`` or ``diagnosis_code.code``)
        and what is accepted.
    """
    if obj is None:
        return None
    if not isinstance(obj, Mapping):
        raise ClassifierError(
            f"{field} must be an object with 'system' and 'code', got {type(obj).__name__}",
            field=field,
        )
    extra = sorted(str(k)[:32] for k in obj if k not in ("system", "code"))
    if extra:
        raise ClassifierError(
            f"{field} has no field {extra[0]!r}; it has: system, code", field=f"{field}.{extra[0]}"
        )
    system_raw, code_raw = obj.get("system"), obj.get("code")
    accepted = ", ".join(CODE_SYSTEMS)
    if not isinstance(system_raw, str) or not system_raw.strip():
        raise ClassifierError(
            f"{field}.system is missing; accepted: {accepted}", field=f"{field}.system"
        )
    system = _SYSTEM_KEYS.get(re.sub(r"[^a-z0-9]", "", system_raw.lower()))
    if system is None:
        raise ClassifierError(
            f"{field}.system: unknown system {system_raw[:32]!r}; accepted: {accepted}",
            field=f"{field}.system",
        )
    if not isinstance(code_raw, str) or not code_raw.strip():
        raise ClassifierError(f"{field}.code is missing", field=f"{field}.code")
    code = code_raw.strip()
    if system == "OncoTree":
        code = code.upper()
    if not CODE_SYSTEMS[system].match(code):
        form = (
            "4 digits, '/', behaviour digit (e.g. 8806/3)"
            if system == "ICD-O-3"
            else ("upper-case letters, digits or '_' (e.g. DSRCT)")
        )
        raise ClassifierError(
            f"{field}.code: {code_raw[:32]!r} is not a {system} code; expected {form}",
            field=f"{field}.code",
        )
    return DiagnosisCode(system, code)


def normalise_diagnosis(text: str) -> str:
    """Fold case, accents, punctuation, possessives and British spelling.

    ``"Ewing´s sarcoma"``, ``"EWING SARCOMA"`` and ``"Ewing-sarcoma"`` all
    give ``"ewing sarcoma"``; ``"tumour"`` gives ``"tumor"``; ``"not
    otherwise specified"`` gives ``"nos"``; "of", "the" and "with" are dropped.
    """
    text = re.sub(r"[’'´`ʼ]s\b", "", text, flags=re.IGNORECASE)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("tumour", "tumor").replace("haem", "hem").replace("oedem", "edem")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"\bnot otherwise specified\b", "nos", text)
    return " ".join(w for w in text.split() if w not in _STOPWORDS)


def _strip_hedge(key: str) -> tuple[str | None, str]:
    for hedge, said in HEDGES.items():
        if key == hedge or key.startswith(hedge + " "):
            rest = key[len(hedge) :].strip()
            rest = re.sub(r"^(?:to|for|as|a|an|in)\s+", "", rest)
            return said, rest
    return None, key


def _entry(
    where: str,
    row: Mapping[str, str],
    classes: Mapping[str, str],
    families: Mapping[str, str],
    malignant: Mapping[str, bool | None],
    *,
    text: str | None = None,
) -> _Entry:
    level, target = row["level"], row["target"] or None
    valid = {"class": target in classes, "family": target in families, "none": target is None}
    if not valid.get(level, False):
        raise ValueError(f"{where}: level {level!r} with target {target!r} is not valid")
    behaviour = row.get("behaviour") or ""
    if behaviour and behaviour not in _BEHAVIOURS:
        raise ValueError(f"{where}: behaviour {behaviour!r}; expected one of {list(_BEHAVIOURS)}")
    if level == "class" and target is not None:
        mal = malignant.get(target)
    else:
        mal = _BEHAVIOURS.get(behaviour)
    return _Entry(text or row["text"], level, target, True, row.get("note") or None, mal)


def _find_all(words: list[str], sub: list[str]) -> Iterator[int]:
    for start in range(len(words) - len(sub) + 1):
        if words[start : start + len(sub)] == sub:
            yield start
