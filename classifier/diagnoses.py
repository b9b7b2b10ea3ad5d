"""Reading a free-text submitted diagnosis as a class or family.

The vocabulary is ``classifier/data/diagnosis_synonyms.csv`` (every
diagnosis of the GSE140686 sample sheets plus common synonyms and
abbreviations) and the class and family names of the taxonomy. Text is
compared after :func:`normalise_diagnosis`; a known phrase inside a longer
text ("metastatic Ewing sarcoma of the femur") is accepted only when it is
the only diagnosis named and no negation or alternative ("not", "or",
"versus") is present. Abbreviations match only as the whole text.

Use it through :func:`classifier.knowledge.resolve_diagnosis`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["DiagnosisMatch", "DiagnosisResolver", "normalise_diagnosis"]

# Words that make a phrase found inside a longer text unsafe to read as the
# diagnosis ("not Ewing sarcoma", "Ewing sarcoma or DSRCT").
_NEGATIONS = frozenset({"not", "no", "nor", "without", "versus", "vs", "or", "exclude", "excluded"})
_STOPWORDS = frozenset({"of", "the", "with"})


@dataclass(frozen=True)
class DiagnosisMatch:
    """A submitted diagnosis read as a class or a family.

    Attributes
    ----------
    text : str
        The submitted text.
    level : {"class", "family"}
    code : str
        Class code when ``level == "class"``, else family code.
    family : str
        Family code (the family of the class, or ``code`` itself).
    how : {"code", "exact", "contained"}
        ``code``: the text is a class or family code; ``exact``: the text
        equals a known name once case, accents, punctuation and spelling
        are normalised; ``contained``: a known name occurs inside the text.
    matched : str
        The table entry or name that matched.
    note : str or None
        Remark from the synonym table (e.g. why the level is family).
    """

    text: str
    level: str
    code: str
    family: str
    how: str
    matched: str
    note: str | None = None

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


@dataclass(frozen=True)
class DiagnosisResolver:
    """The diagnosis vocabulary; build it with :meth:`from_rows`."""

    entries: Mapping[str, _Entry]
    class_family: Mapping[str, str]
    families: frozenset[str]

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[str, Mapping[str, str]]],
        class_rows: Sequence[tuple[str, str, str, str]],
        family_names: Mapping[str, str],
    ) -> DiagnosisResolver:
        """Build the vocabulary.

        Parameters
        ----------
        rows : iterable of (where, row)
            Rows of ``diagnosis_synonyms.csv`` (``text``, ``level``,
            ``target``, ``kind``, ``note``), each with its file position.
        class_rows : iterable of (code, name, geo_label, family)
            The class table.
        family_names : mapping of str to str
            Family code to readable name.

        Raises
        ------
        ValueError
            If a row names an unknown class or family, or two rows that
            read alike point at different targets.
        """
        classes = {code: family for code, _, _, family in class_rows}
        out: dict[str, _Entry] = {}
        for where, row in rows:
            level, target = row["level"], row["target"] or None
            valid = {
                "class": target in classes,
                "family": target in family_names,
                "none": target is None,
            }
            if not valid.get(level, False):
                raise ValueError(f"{where}: level {level!r} with target {target!r} is not valid")
            key = normalise_diagnosis(row["text"])
            entry = _Entry(
                row["text"], level, target, row["kind"] != "abbreviation", row["note"] or None
            )
            if key in out and (out[key].level, out[key].target) != (level, target):
                raise ValueError(
                    f"{where}: {row['text']!r} reads like {out[key].text!r}, another target"
                )
            out.setdefault(key, entry)
        # Names from the class table, then family names; the curated table wins.
        for code, name, geo_label, _ in class_rows:
            for text in (name, geo_label):
                out.setdefault(normalise_diagnosis(text), _Entry(text, "class", code, True, None))
        for family, name in family_names.items():
            out.setdefault(normalise_diagnosis(name), _Entry(name, "family", family, False, None))
        return cls(entries=out, class_family=classes, families=frozenset(family_names))

    def resolve(self, text: str | None) -> DiagnosisMatch | None:
        """Read a diagnosis as a class or family, else ``None``.

        ``None`` for empty or unknown text, and for text that names no class
        (e.g. "Sarcoma not otherwise specified"); see :meth:`why_unresolved`.
        """
        entry, how = self._find(text or "")
        if entry is None or entry.target is None:
            return None
        family = self.class_family[entry.target] if entry.level == "class" else entry.target
        return DiagnosisMatch(
            text=str(text),
            level=entry.level,
            code=entry.target,
            family=family,
            how=how,
            matched=entry.text,
            note=entry.note,
        )

    def why_unresolved(self, text: str | None) -> str:
        """Plain-language reason why :meth:`resolve` gave ``None``."""
        if not (text or "").strip():
            return "no diagnosis was submitted"
        entry, how = self._find(text or "")
        if entry is not None and entry.note:
            return entry.note
        if how == "ambiguous":
            return "it names several possibilities or a negation, not one diagnosis"
        return "it names no class or family of the classifier"

    def _find(self, text: str) -> tuple[_Entry | None, str]:
        stripped = text.strip()
        if stripped in self.class_family:
            return _Entry(stripped, "class", stripped, False, None), "code"
        if stripped in self.families:
            return _Entry(stripped, "family", stripped, False, None), "code"
        key = normalise_diagnosis(text)
        if not key:
            return None, "none"
        if key in self.entries:
            return self.entries[key], "exact"
        return self._contained(key.split())

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
        targets = {(s[2].level, s[2].target) for s in widest}
        if len(targets) > 1 or (targets and _NEGATIONS.intersection(words)):
            return None, "ambiguous"
        return (widest[0][2], "contained") if targets else (None, "none")


def normalise_diagnosis(text: str) -> str:
    """Fold case, accents, punctuation, possessives and British spelling.

    ``"Ewing´s sarcoma"``, ``"EWING SARCOMA"`` and ``"Ewing-sarcoma"`` all
    give ``"ewing sarcoma"``; ``"tumour"`` gives ``"tumor"``; ``"not
    otherwise specified"`` gives ``"nos"``; "of", "the" and "with" are dropped.
    """
    text = re.sub(r"[’'´`ʼ]s\b", "", text, flags=re.IGNORECASE)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("tumour", "tumor").replace("haem", "hem")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"\bnot otherwise specified\b", "nos", text)
    return " ".join(w for w in text.split() if w not in _STOPWORDS)


def _find_all(words: list[str], sub: list[str]) -> Iterator[int]:
    for start in range(len(words) - len(sub) + 1):
        if words[start : start + len(sub)] == sub:
            yield start
