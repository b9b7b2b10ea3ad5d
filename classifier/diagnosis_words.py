"""Words around a diagnosis that do not change the entity it names.

A free-text diagnosis is read only when every word beside the recognised
phrase is one of these: sites, sides, extent, grade, specimen and report
words ("Metastatic Ewing sarcoma of the left femur, biopsy"). Any other word
may be a qualifier that names another entity ("parosteal osteosarcoma",
"uveal melanoma", "poorly differentiated chordoma"), so the text is then not
read: the weaker claim. Hedges ("favour", "consistent with") are read and
reported; negations and alternatives ("not", "vs", "or") stop the reading.

Kept apart from :mod:`classifier.diagnoses` because it is vocabulary a
pathologist may extend, not logic. Words are in the normalised form of
:func:`classifier.diagnoses.normalise_diagnosis` (lower case, US spelling).
"""

from __future__ import annotations

__all__ = ["HEDGES", "NEGATIONS", "NEUTRAL_WORDS"]

#: Leading phrases (normalised) that hedge a diagnosis without changing it,
#: with the words reported back; longer phrases first.
HEDGES = {
    "most in keeping": "most in keeping with",
    "in keeping": "in keeping with",
    "consistent": "consistent with",
    "compatible": "compatible with",
    "suggestive": "suggestive of",
    "suspicious for": "suspicious for",
    "suspicious": "suspicious of",
    "favoring": "favoring",
    "favouring": "favouring",
    "favored": "favored",
    "favoured": "favoured",
    "favor": "favor",
    "favour": "favour",
    "most likely": "most likely",
    "likely": "likely",
    "probable": "probable",
    "probably": "probably",
    "features": "features of",
    "best classified as": "best classified as",
    "morphologically": "morphologically",
}

#: Words that make a text name several possibilities or a negation.
NEGATIONS = frozenset(
    {
        "not", "no", "nor", "without", "versus", "vs", "or", "exclude", "excluded",
        "excluding", "exclusion", "differential", "dd", "ddx", "rule", "ro", "unlikely",
        "rather", "over", "negative", "neither", "either", "instead", "than", "r",
    }
)  # fmt: skip

_EXTENT = {
    "metastatic", "metastasis", "metastases", "recurrent", "recurrence", "relapse",
    "relapsed", "residual", "primary", "local", "locally", "advanced", "disseminated",
    "multifocal", "multiple", "deposit", "deposits", "lesion", "mass", "nodule", "focus",
    "foci", "extension", "involvement", "infiltration", "infiltrating", "invasive",
    "post", "treatment", "treated", "chemotherapy", "neoadjuvant", "after", "previously",
    "known", "history", "new", "diagnosis", "case", "tumor", "neoplasm", "sample",
    "radiation", "associated", "induced", "related", "arising",
}  # fmt: skip
_GRADE = {
    "grade", "graded", "fnclcc", "g1", "g2", "g3", "high", "low", "intermediate", "1",
    "2", "3", "i", "ii", "iii", "stage", "pt1", "pt2", "pt3", "pt4", "cm", "mm", "size",
}  # fmt: skip
_SPECIMEN = {
    "biopsy", "core", "needle", "excision", "excisional", "incisional", "resection",
    "resected", "specimen", "curettage", "amputation", "fragments", "fragment", "tissue",
    "frozen", "section", "ffpe", "block", "slide", "cytology", "aspirate", "fna", "open",
    "wide", "margin", "margins", "clear", "involved", "site", "region", "area", "from",
    "in", "at", "on", "to", "a", "an", "and", "involving", "arising", "located", "part",
    "see", "report", "comment", "diagnosis", "final", "pathology", "histology",
}  # fmt: skip
_SIDE = {
    "left", "right", "bilateral", "proximal", "distal", "upper", "lower", "anterior",
    "posterior", "medial", "lateral", "superficial", "deep", "central", "peripheral",
    "inner", "outer", "mid", "midline", "para", "peri", "intra", "sub", "supra", "region",
}  # fmt: skip
_SITE = {
    "abdomen", "abdominal", "intraabdominal", "pelvis", "pelvic", "retroperitoneum",
    "retroperitoneal", "peritoneum", "peritoneal", "omentum", "omental", "mesentery",
    "mesenteric", "thigh", "leg", "calf", "knee", "foot", "feet", "ankle", "toe", "hip",
    "buttock", "gluteal", "groin", "inguinal", "arm", "forearm", "elbow", "hand", "wrist",
    "finger", "shoulder", "axilla", "axillary", "chest", "wall", "thorax", "thoracic",
    "back", "trunk", "flank", "neck", "head", "face", "scalp", "orbit", "orbital",
    "femur", "femoral", "tibia", "tibial", "fibula", "humerus", "humeral", "radius",
    "ulna", "rib", "ribs", "sternum", "clavicle", "scapula", "ilium", "iliac", "ischium",
    "pubis", "sacrum", "sacral", "coccyx", "spine", "spinal", "vertebra", "vertebral",
    "cervical", "lumbar", "skull", "mandible", "maxilla", "jaw", "bone", "bones",
    "soft", "tissues", "tissue", "muscle", "skeletal", "subcutaneous", "subcutis",
    "dermal", "skin", "cutis", "cutaneous", "intramuscular", "intraosseous", "lung", "lungs",
    "pulmonary", "pleura", "pleural",
    "liver", "hepatic", "kidney", "renal", "bladder", "prostate", "testis", "testicular",
    "paratesticular", "scrotum", "scrotal", "spermatic", "cord", "uterus", "uterine",
    "ovary", "ovarian", "vulva", "vulvar", "vagina", "vaginal", "cervix", "breast",
    "stomach", "gastric", "small", "bowel", "intestine", "intestinal", "colon", "rectum",
    "rectal", "esophagus", "oesophagus", "duodenum", "jejunum", "ileum", "pancreas",
    "lymph", "node", "nodes", "nodal", "brain", "meninges", "nerve", "heart", "cardiac",
    "mediastinum", "mediastinal", "diaphragm", "popliteal", "extremity",
    "extremities", "limb", "limbs", "lower", "upper", "appendicular", "axial", "joint",
    "synovium", "tendon", "fascia", "fascial", "periosteum", "metaphysis", "diaphysis",
    "epiphysis", "metaphyseal", "diaphyseal", "epiphyseal", "digit", "digits", "nasal",
    "sinonasal", "paranasal", "oral", "tongue", "larynx", "parotid", "thyroid",
    "adrenal", "spleen", "vessel", "vein", "artery",
}  # fmt: skip

#: Every word that may stand beside a recognised diagnosis.
NEUTRAL_WORDS = frozenset(_EXTENT | _GRADE | _SPECIMEN | _SIDE | _SITE)
