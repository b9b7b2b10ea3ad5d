"""The generative model behind the synthetic reference cohort (second version).

No real sarcoma beta values can be downloaded here, so the default cohort is
simulated, on real scaffolding: the probes of the real arrays (ids,
chromosomes, Infinium I/II design, relation to CpG islands), the real
GSE140686 sample sheet (classes and their sizes, arrays, materials, purities,
sites, suppliers) and real normal-tissue methylation. Every parameter is a
prior with its source or a stated assumption
(:mod:`training.synthetic.priors`); none was tuned to reach a figure.

The model, in M-value (logit beta) space where effects add up:

1. **Baseline.** Every CpG's methylation follows its relation to CpG
   islands (islands unmethylated, shores intermediate, shelves and open sea
   methylated); where the real normal-tissue references agree on a state,
   the baseline takes it.
2. **Class structure from the real reference.** Differentially methylated
   CpGs (DMCs) at the levels of tissue group (bone, soft tissue, other),
   family and class, drawn uniformly over the array (a few percent of all
   CpGs carry class signal, as on a real array). Classes that the
   literature names as neighbours or confusions
   (``training/data/class_neighbours.csv``: UPS / pleomorphic LMS /
   undifferentiated sarcoma, Ewing / CIC / BCOR, LGFMS / SEF, benign vs
   malignant pairs, ...) share part of their class signature, so that how
   hard a class is follows from the structure, not from a random draw.
3. **Within-class variation.** Two subtypes per class, shared latent
   programmes, per-CpG biological noise; X/Y probes follow the sample's sex.
4. **Purity.** A tumour sample is ``purity * tumour + (1 - purity) *
   normal``, the normal component being the tissue of the sheet's site with
   a share of leukocytes (:mod:`training.synthetic.tissues`). The control
   classes are those normal tissues themselves.
5. **Measurement.** Infinium II compression, per-probe 450K-vs-EPIC
   differences, a batch per supplier (site), FFPE degradation (systematic
   per-probe bias, compression towards the middle, extra noise, failed
   probes), type-dependent measurement noise, and NaN where the array has
   no probe.

Everything is a deterministic function of the seed, the probe id and the
sample's seed, so a cohort and a full-array profile of one world agree on
every CpG.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.synthetic.priors import WorldPriors
from training.synthetic.tissues import CONTROL_RECIPES, TISSUES, normal_mixture, tissue_for_site

__all__ = ["RELATIONS", "SampleSpec", "SyntheticWorld"]

_ARRAY_COLUMN = {"450k": "on_450k", "epic": "on_epic", "epicv2": "on_epicv2"}

#: Relations to CpG islands, from the island outwards (codes 0-3 in the world).
RELATIONS = ("island", "shore", "shelf", "open_sea")


@dataclass(frozen=True)
class SampleSpec:
    """What the generator needs to know of one sample (one sheet row).

    ``degradation`` is the FFPE degradation in [0, 1] (None: drawn from the
    prior for FFPE, 0 otherwise); ``supplier`` names the batch (empty: a new
    site's own batch, drawn from the sample's seed).
    """

    label: str
    array_type: str
    material: str
    purity: float
    site: str
    sex: str
    supplier: str = ""
    degradation: float | None = None


class SyntheticWorld:
    """Class means, tissues and technical effects over the whole probe universe.

    Parameters
    ----------
    probes : pandas.DataFrame
        The manifest table (index: base probe id; columns ``chrom``,
        ``design``, ``on_450k``, ``on_epic``, ``on_epicv2``).
    classes : pandas.DataFrame
        Class table indexed by class code with ``family`` and ``group``.
    normals : pandas.DataFrame
        Normal-tissue references indexed by probe id (``omentum``, ``fat``,
        ``skin`` as 0/1 states, ``blood`` as mean beta).
    relation : pandas.Series
        Relation to CpG islands (one of :data:`RELATIONS`) by probe id.
    neighbours : pandas.DataFrame
        ``class_a``, ``class_b``, ``shared``: share of the class signature
        two neighbouring classes have in common.
    seed : int
        Seed of every random choice.
    priors : WorldPriors, optional
        The model's parameters.
    """

    def __init__(
        self,
        probes: pd.DataFrame,
        classes: pd.DataFrame,
        normals: pd.DataFrame,
        relation: pd.Series,
        neighbours: pd.DataFrame,
        seed: int = 0,
        priors: WorldPriors | None = None,
    ) -> None:
        self.priors = p = priors or WorldPriors()
        self.seed = seed
        self.probe_ids = probes.index.to_numpy()
        self.classes = classes
        rng = np.random.default_rng([seed, 1])
        n = len(probes)
        self._on = {a: probes[c].to_numpy(dtype=bool) for a, c in _ARRAY_COLUMN.items()}
        chrom = probes["chrom"].astype("string").fillna("").to_numpy()
        self.is_x, self.is_y = chrom == "X", chrom == "Y"
        design = probes["design"].astype("string")
        unknown = design.isna().to_numpy()
        self.type_two = (design == "II").fillna(False).to_numpy(dtype=bool)
        self.type_two[unknown] = rng.random(int(unknown.sum())) < p.type2_share_unknown
        self.relation = self._relations(relation, rng)
        is_cg = pd.Index(self.probe_ids).str.startswith("cg")
        autosomal = ~(self.is_x | self.is_y) & (chrom != "") & (chrom != "M")
        self.array_cpgs = np.flatnonzero(is_cg & (self._on["450k"] | self._on["epic"]))
        self._pool = np.flatnonzero(is_cg & autosomal & (self._on["450k"] | self._on["epic"]))
        self.baseline = self._baseline(normals, rng)
        self.effects = self._draw_effects(neighbours, rng)
        prog_idx = rng.choice(self._pool, round(p.programme_share * len(self._pool)), False)
        self.programmes = (prog_idx, rng.normal(0, 1, (p.n_programmes, len(prog_idx))))
        self.tissues = self._tissues(normals, rng)
        self.platform_offset = rng.normal(0.0, p.platform_sd, n).astype(np.float32)
        self.batch_loadings = rng.normal(0.0, p.batch_probe_sd, (2, n)).astype(np.float32)
        self.batch_loadings[:, self.type_two] *= 1.5
        self.ffpe_bias = rng.normal(0.0, p.ffpe_bias_sd, n).astype(np.float32)

    # ------------------------------------------------------------------ public

    @property
    def informative(self) -> np.ndarray:
        """Sorted universe positions of every CpG carrying a group, family or class effect."""
        parts = [idx for (level, _), (idx, _) in self.effects.items() if level != "subtype"]
        return np.unique(np.concatenate(parts))

    def on(self, array_type: str) -> np.ndarray:
        """Boolean mask of the universe's probes present on an array."""
        return self._on[array_type]

    def index_of(self, ids: np.ndarray) -> np.ndarray:
        """Positions of base probe ids in the universe (``-1`` where unknown)."""
        return pd.Index(self.probe_ids).get_indexer(pd.Index(ids))

    def class_means(self, label: str, subtype: int, columns: np.ndarray) -> np.ndarray:
        """M-value means of one class subtype on the given CpG positions."""
        if label in CONTROL_RECIPES:
            profiles = {t: self.tissues[t][columns] for t in TISSUES}
            return _logit(normal_mixture(profiles, CONTROL_RECIPES[label]))
        row = self.classes.loc[label]
        keys = {("group", str(row["group"])), ("family", str(row["family"])), ("class", label)}
        keys.add(("subtype", f"{label}/{subtype}"))
        full = np.zeros(len(self.probe_ids), dtype=np.float32)
        for (level, name), (idx, shift) in self.effects.items():
            if (level, name) in keys or (level == "pair" and label in name.split("|")):
                full[idx] += shift
        return self.baseline[columns] + full[columns]

    def sample(self, spec: SampleSpec, columns: np.ndarray, seed: int) -> np.ndarray:
        """Simulate one sample's beta values on the given CpG positions.

        Parameters
        ----------
        spec : SampleSpec
            Class, array, material, purity, site, sex, supplier of the sample.
        columns : numpy.ndarray of int
            Positions in the universe of the CpGs to return.
        seed : int
            Per-sample seed (combined with the world's).

        Returns
        -------
        numpy.ndarray of float32
            Beta values, NaN where the array lacks the probe or it failed.
        """
        p = self.priors
        rng = np.random.default_rng([self.seed, 2, seed])
        m = self.class_means(spec.label, int(rng.integers(2)), columns)
        m = m + rng.normal(0.0, p.biological_sd, len(columns))
        if spec.label in CONTROL_RECIPES:
            beta = _sigmoid(m)  # normal tissue through and through: purity does not apply
        else:
            prog_idx, loadings = self.programmes
            prog = np.zeros(len(self.probe_ids), dtype=np.float32)
            prog[prog_idx] = rng.normal(0.0, p.programme_sd, len(loadings)) @ loadings
            tumour = _sigmoid(m + prog[columns])
            shares = dict(tissue_for_site(spec.site))
            immune = rng.uniform(*p.immune_share)
            shares = {t: s * (1 - immune) for t, s in shares.items()}
            shares["blood"] = shares.get("blood", 0.0) + immune
            normal = normal_mixture({t: self.tissues[t][columns] for t in shares}, shares)
            purity = float(np.clip(spec.purity, 0.0, 1.0))
            beta = purity * tumour + (1.0 - purity) * normal
        m = self._apply_sex(_logit(beta), columns, spec.sex, rng)
        beta = self._measure(m, columns, spec, rng, seed)
        beta[~self._on[spec.array_type][columns]] = np.nan
        return beta.astype(np.float32)

    def degradation(self, material: str, rng: np.random.Generator) -> float:
        """Draw an FFPE sample's degradation from the prior (0 for other material)."""
        return float(rng.beta(*self.priors.ffpe_degradation)) if material == "FFPE" else 0.0

    # ----------------------------------------------------------------- private

    def _relations(self, relation: pd.Series, rng: np.random.Generator) -> np.ndarray:
        codes = pd.Categorical(
            relation.reindex(self.probe_ids), categories=list(RELATIONS)
        ).codes.astype(np.int8)
        unknown = codes < 0
        codes[unknown] = rng.choice(4, int(unknown.sum()), p=self.priors.epic_only_relation)
        return codes

    def _baseline(self, normals: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        p = self.priors
        params = np.array([p.island_m, p.shore_m, p.shelf_m, p.open_sea_m])
        mean, sd = params[self.relation, 0], params[self.relation, 1]
        m = rng.normal(mean, sd).astype(np.float32)
        # Where two of the three real tissue references agree on a state, the
        # mesenchymal baseline has it too (its size still from the relation).
        states = self._aligned(normals, ["omentum", "fat", "skin"])
        known = ~np.isnan(states).any(axis=0)
        votes = np.nansum(states, axis=0)
        methylated = known & (votes >= 2)
        unmethylated = known & (votes <= 1)
        m[methylated] = np.abs(m[methylated]) + 0.5
        m[unmethylated] = -np.abs(m[unmethylated]) - 0.5
        return m

    def _draw_effects(self, neighbours: pd.DataFrame, rng: np.random.Generator) -> dict:
        p = self.priors
        pool = len(self._pool)
        tumours = self.classes[~self.classes.index.isin(list(CONTROL_RECIPES))]
        effects: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        for level, share in (("group", p.group_share), ("family", p.family_share)):
            for name in sorted(tumours[level].unique()):
                effects[(level, str(name))] = self._dmcs(rng, round(share * pool))
        n_class = round(p.class_share * pool)
        shared_total = dict.fromkeys(tumours.index, 0.0)
        links = zip(neighbours["class_a"], neighbours["class_b"], neighbours["shared"], strict=True)
        for a, b, shared in links:
            if a in shared_total and b in shared_total:
                effects[("pair", f"{a}|{b}")] = self._dmcs(rng, round(float(shared) * n_class))
                shared_total[a] += float(shared)
                shared_total[b] += float(shared)
        for label in tumours.index:
            # A class with many close neighbours keeps little of its own:
            # the published hard classes are hard because of their neighbours.
            own = round(n_class * (1.0 - min(0.8, shared_total[label])))
            effects[("class", str(label))] = self._dmcs(rng, own)
            for subtype in (0, 1):
                count = round(p.subtype_share * pool)
                effects[("subtype", f"{label}/{subtype}")] = self._dmcs(rng, count)
        return effects

    def _dmcs(self, rng: np.random.Generator, count: int):
        p = self.priors
        idx = rng.choice(self._pool, count, replace=False)
        # Away from the baseline state: islands gain methylation, open sea loses it.
        direction = -np.sign(self.baseline[idx] + rng.normal(0.0, 0.3, count))
        size = np.abs(rng.normal(p.effect_m, p.effect_cv * p.effect_m, count))
        return idx, (direction * size).astype(np.float32)

    def _tissues(self, normals: pd.DataFrame, rng: np.random.Generator) -> dict:
        p = self.priors
        out = {}
        states = self._aligned(normals, ["fat", "skin", "omentum"])
        for tissue, state in zip(["fat", "skin", "omentum"], states, strict=True):
            sign = np.where(state > 0.5, 1.0, -1.0)
            out[tissue] = np.where(
                np.isnan(state), self.baseline, sign * p.reference_state_m
            ).astype(np.float32)
        for tissue in ("muscle", "blood"):
            m = self.baseline.copy()
            idx, shift = self._dmcs(rng, round(p.tissue_share * len(self._pool)))
            m[idx] += shift
            out[tissue] = m
        blood = self._aligned(normals, ["blood"])[0]
        known = ~np.isnan(blood)
        out["blood"][known] = _logit(np.clip(blood[known], 0.02, 0.98))
        return out

    def _aligned(self, normals: pd.DataFrame, columns: list[str]) -> np.ndarray:
        pos = normals.index.get_indexer(pd.Index(self.probe_ids))
        out = np.full((len(columns), len(self.probe_ids)), np.nan, dtype=np.float32)
        found = pos >= 0
        for i, column in enumerate(columns):
            out[i, found] = normals[column].to_numpy(dtype=np.float32)[pos[found]]
        return out

    def _apply_sex(self, m: np.ndarray, columns: np.ndarray, sex: str, rng) -> np.ndarray:
        if sex == "female":
            on_x, on_y = self.is_x[columns], self.is_y[columns]
            # X inactivation: one methylated copy lifts island CpGs to ~0.45.
            m = np.where(on_x & (m < 0), rng.normal(-0.2, 0.3, len(m)), m)
            m = np.where(on_y, rng.normal(-2.5, 0.8, len(m)), m)  # no Y: background only
        return m

    def _measure(self, m, columns, spec: SampleSpec, rng, seed: int) -> np.ndarray:
        p = self.priors
        n = len(columns)
        type_two = self.type_two[columns]
        m = np.where(type_two, m * p.type2_scale, m)
        if spec.array_type != "450k":
            m = m + self.platform_offset[columns]
        level, weights = self._batch(spec.supplier, seed)
        m = m + level + weights @ self.batch_loadings[:, columns]
        d = spec.degradation
        if d is None:
            d = self.degradation(spec.material, rng)
        if d > 0:
            m = m * (1.0 - p.ffpe_compression * d) + d * self.ffpe_bias[columns]
            m = m + rng.normal(0.0, p.ffpe_noise_sd * d, n)
        m = m + rng.normal(0.0, 1.0, n) * np.where(type_two, p.noise_sd_type2, p.noise_sd_type1)
        beta = _sigmoid(m)
        beta[rng.random(n) < p.failed_frozen + p.failed_ffpe * d * d] = np.nan
        return beta

    def _batch(self, supplier: str, seed: int) -> tuple[float, np.ndarray]:
        """Global shift and loadings of a supplier's batch (a new site: its own)."""
        key = zlib.crc32(supplier.encode()) if supplier else 2**32 + seed
        rng = np.random.default_rng([self.seed, 7, key])
        return float(rng.normal(0.0, self.priors.batch_global_sd)), rng.normal(0.0, 1.0, 2)


def _sigmoid(m):
    return (1.0 / (1.0 + np.exp(-m))).astype(np.float32)


def _logit(b):
    b = np.clip(b, 1e-4, 1 - 1e-4)
    return np.log(b / (1.0 - b)).astype(np.float32)
