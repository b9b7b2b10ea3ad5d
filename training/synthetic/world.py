"""The generative model behind the synthetic reference cohort.

No real sarcoma beta values can be downloaded here, so the default cohort is
simulated, but on real scaffolding: real probe ids and chromosomes (the
project's manifest), real CpG-island annotation, the real GSE140686 sample
sheet (classes, arrays, materials, purities, sites) and real normal-tissue
methylation for admixture. The model, in the logit ("M-value") space where
methylation effects are roughly additive:

1. **Baseline.** Every CpG has a baseline M-value. CpG islands are mostly
   unmethylated (M ~ -3), open-sea CpGs mostly methylated (M ~ +2), and a
   minority of CpGs are intermediate: the familiar bimodal beta histogram.
2. **Differentially methylated CpGs (DMCs)** at three levels: tissue group
   (bone / soft tissue / other / control), family (round cell sarcomas,
   rhabdomyosarcomas, ...) and class. A DMC flips a CpG away from its
   baseline state (islands gain methylation, open sea loses it), so classes
   of one family share the family's DMCs and sit closer to each other than
   to other families: Ewing, CIC, BCOR and DSRCT are told apart only by
   their class DMCs. Class effects are weaker than family effects, and
   classes differ in how distinct they are: each class draws a strength
   that scales its own DMCs, so that some classes (think undifferentiated
   sarcoma, or the sarcoma "-like" groups) are hard to tell from their
   siblings while others (chordoma, GIST) are unmistakable, as in the real
   reference cohort, where per-class sensitivities range widely.
3. **Within-class heterogeneity.** Each class has two subtypes with their
   own small set of shifts, every sample loads on a few shared latent
   programmes (think proliferation or immune infiltration), and every CpG
   gets biological noise.
4. **Admixture.** A sample is ``purity * tumour + (1 - purity) * normal``,
   where ``normal`` is real methylation of the tissue around the tumour
   (omentum for abdominal sites, skin, subcutaneous fat, blood), falling
   back to the CpG's baseline where no reference value exists.
5. **Technical effects.** A per-CpG batch shift between 450K and EPIC, a
   design-type (Infinium I vs II) dependent compression, stronger
   compression towards 0.5 and more noise for FFPE than for frozen tissue,
   and a small fraction of failed probes (NaN), larger for FFPE.
6. **Sex.** Probes on X and Y follow the sample's sex (DSRCT is about 4:1
   male), which is why the ``xy`` probe filter exists.

Everything is a deterministic function of the seed and the probe id, so a
cohort of a few thousand CpGs and a full-array profile of one sample agree
on every shared CpG's class means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SampleSpec", "SyntheticWorld", "WorldConfig"]

_ARRAY_COLUMN = {"450k": "on_450k", "epic": "on_epic", "epicv2": "on_epicv2"}


@dataclass(frozen=True)
class WorldConfig:
    """Effect sizes of the generative model (M-value units unless said).

    With the defaults a plain logistic regression on every CpG gets about
    three profiles in four right in cross-validation, fewer at low purity,
    and the full pipeline about 98% (``docs/benchmarks.md``): structure to
    learn, and errors left to make.
    """

    n_group_dmcs: int = 150
    n_family_dmcs: int = 120
    n_class_dmcs: int = 200
    sibling_overlap: float = 0.5
    n_subtype_dmcs: int = 25
    n_programme_cpgs: int = 1500
    n_programmes: int = 5
    group_shift: float = 1.6
    family_shift: float = 2.0
    class_shift: float = 2.5
    class_strength: tuple[float, float] = (0.35, 1.0)
    subtype_shift: float = 1.2
    programme_sd: float = 0.5
    biological_sd: float = 0.6
    batch_sd: float = 0.25
    epic_only_fraction: float = 0.08


@dataclass(frozen=True)
class SampleSpec:
    """What the generator needs to know of one sample (one sheet row)."""

    label: str
    array_type: str
    material: str
    purity: float
    site: str
    sex: str


class SyntheticWorld:
    """Class means and effects over the whole probe universe, built from a seed.

    Parameters
    ----------
    probes : pandas.DataFrame
        The manifest table (index: base probe id; columns ``chrom``, ``cgi``,
        ``design``, ``on_450k``, ``on_epic``, ``on_epicv2``).
    classes : pandas.DataFrame
        Class table indexed by class code with ``family`` and ``group``.
    normals : pandas.DataFrame
        Normal-tissue references indexed by probe id (``omentum``, ``fat``,
        ``skin`` as 0/1 states, ``blood`` as mean beta).
    seed : int
        Seed of every random choice.
    config : WorldConfig, optional
        Effect sizes.
    """

    def __init__(
        self,
        probes: pd.DataFrame,
        classes: pd.DataFrame,
        normals: pd.DataFrame,
        seed: int = 0,
        config: WorldConfig | None = None,
    ) -> None:
        self.config = config or WorldConfig()
        self.seed = seed
        self.probe_ids = probes.index.to_numpy()
        self.classes = classes
        rng = np.random.default_rng([seed, 1])
        n = len(probes)
        self._on = {a: probes[c].to_numpy(dtype=bool) for a, c in _ARRAY_COLUMN.items()}
        chrom = probes["chrom"].astype("string").fillna("").to_numpy()
        self.is_x = chrom == "X"
        self.is_y = chrom == "Y"
        self.type_one = (probes["design"].astype("string") == "I").fillna(False).to_numpy()
        self.baseline = self._baseline(probes, rng)
        self.batch_shift = rng.normal(0.0, self.config.batch_sd, n).astype(np.float32)
        is_cg = pd.Index(self.probe_ids).str.startswith("cg")
        autosomal = ~(self.is_x | self.is_y) & (chrom != "") & (chrom != "M")
        shared = self._on["450k"] & self._on["epic"]
        epic_only = self._on["epic"] & ~self._on["450k"]
        self._pool_shared = np.flatnonzero(is_cg & autosomal & shared)
        self._pool_epic_only = np.flatnonzero(is_cg & autosomal & epic_only)
        # The reference cohort was profiled on 450K and EPIC: its background
        # CpGs come from those arrays (EPICv2-only probes appear only in
        # full-array EPICv2 profiles).
        self.autosomal_cpgs = np.flatnonzero(
            is_cg & autosomal & (self._on["450k"] | self._on["epic"])
        )
        self.effects = self._draw_effects(rng)
        self.programmes = self._draw_programmes(rng)
        self.normals = self._align_normals(normals)

    # ------------------------------------------------------------------ public

    @property
    def informative(self) -> np.ndarray:
        """Sorted indices of every CpG carrying a group, family, class or subtype effect."""
        parts = [idx for idx, _ in self.effects.values()]
        parts.append(self.programmes[0])
        return np.unique(np.concatenate(parts))

    def on(self, array_type: str) -> np.ndarray:
        """Boolean mask of the universe's probes present on an array."""
        return self._on[array_type]

    def index_of(self, ids: np.ndarray) -> np.ndarray:
        """Positions of base probe ids in the universe (``-1`` where unknown)."""
        return pd.Index(self.probe_ids).get_indexer(pd.Index(ids))

    def class_means(self, label: str, subtype: int, columns: np.ndarray) -> np.ndarray:
        """M-value means of one class subtype on the given CpG positions."""
        row = self.classes.loc[label]
        keys = [
            ("group", str(row["group"])),
            ("family", str(row["family"])),
            ("class", label),
            ("subtype", f"{label}/{subtype}"),
        ]
        full_shift = np.zeros(len(self.probe_ids), dtype=np.float32)
        for key in keys:
            if key in self.effects:
                idx, shift = self.effects[key]
                full_shift[idx] += shift
        means = self.baseline[columns] + full_shift[columns]
        if label == "CTRL_BLOOD":
            # Blood controls are blood: use the real blood reference where known.
            blood = self.normals["blood"][columns]
            known = ~np.isnan(blood)
            means[known] = _logit(np.clip(blood[known], 0.02, 0.98))
        return means

    def sample(self, spec: SampleSpec, columns: np.ndarray, seed: int) -> np.ndarray:
        """Simulate one sample's beta values on the given CpG positions.

        Parameters
        ----------
        spec : SampleSpec
            Class, array, material, purity, site and sex of the sample.
        columns : numpy.ndarray of int
            Positions in the universe of the CpGs to return.
        seed : int
            Per-sample seed (combined with the world's).

        Returns
        -------
        numpy.ndarray of float32
            Beta values, NaN where the array lacks the probe or it failed.
        """
        cfg = self.config
        rng = np.random.default_rng([self.seed, 2, seed])
        subtype = int(rng.integers(2))
        m = self.class_means(spec.label, subtype, columns)
        prog_idx, prog_load = self.programmes
        weights = rng.normal(0.0, cfg.programme_sd, prog_load.shape[0])
        prog_effect = np.zeros(len(self.probe_ids), dtype=np.float32)
        prog_effect[prog_idx] = weights @ prog_load
        m = m + prog_effect[columns] + rng.normal(0.0, cfg.biological_sd, len(columns))
        m = self._apply_sex(m, columns, spec.sex, rng)
        tumour = _sigmoid(m)

        normal = self._normal_for(spec.site, columns, rng)
        purity = float(np.clip(spec.purity, 0.0, 1.0))
        beta = purity * tumour + (1.0 - purity) * normal

        beta = self._apply_technical(beta, columns, spec, rng)
        beta[~self._on[spec.array_type][columns]] = np.nan
        return beta.astype(np.float32)

    # ----------------------------------------------------------------- private

    def _baseline(self, probes: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        n = len(probes)
        cgi = probes["cgi"].astype("boolean").to_numpy(dtype=float, na_value=np.nan)
        # Where the island flag is unknown (EPIC-only probes) draw it at the
        # 450K rate, about three in ten.
        unknown = np.isnan(cgi)
        cgi[unknown] = rng.random(int(unknown.sum())) < 0.3
        island = cgi.astype(bool)
        intermediate = rng.random(n) < 0.12
        m = np.where(island, rng.normal(-3.0, 0.8, n), rng.normal(2.2, 0.9, n))
        m = np.where(intermediate, rng.normal(0.0, 1.0, n), m)
        return m.astype(np.float32)

    def _draw_effects(self, rng: np.random.Generator) -> dict:
        cfg = self.config
        effects: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        levels = [
            ("group", sorted(self.classes["group"].unique()), cfg.n_group_dmcs, cfg.group_shift),
            (
                "family",
                sorted(self.classes["family"].unique()),
                cfg.n_family_dmcs,
                cfg.family_shift,
            ),
        ]
        for level, names, count, size in levels:
            for name in names:
                effects[(level, name)] = self._dmcs(rng, count, size)
        # Siblings draw part of their class DMCs from one pool of their
        # family's CpGs: the same loci vary within a family, in different
        # directions and strengths, which makes sibling classes harder to
        # tell apart than classes of different families.
        n_sib = int(cfg.n_class_dmcs * cfg.sibling_overlap)
        pools = {
            fam: rng.choice(self._pool_shared, 3 * n_sib, replace=False)
            for fam in sorted(self.classes["family"].unique())
        }
        low, high = cfg.class_strength
        for label, row in self.classes.iterrows():
            strength = rng.uniform(low, high)
            idx, shift = self._dmcs(rng, cfg.n_class_dmcs - n_sib, strength * cfg.class_shift)
            sib = rng.choice(pools[row["family"]], n_sib, replace=False)
            sib_shift = rng.normal(0.0, strength * cfg.class_shift, n_sib).astype(np.float32)
            effects[("class", str(label))] = (
                np.concatenate([idx, sib]),
                np.concatenate([shift, sib_shift]),
            )
        for label in self.classes.index:
            for subtype in (0, 1):
                key = ("subtype", f"{label}/{subtype}")
                effects[key] = self._dmcs(rng, cfg.n_subtype_dmcs, cfg.subtype_shift)
        return effects

    def _dmcs(self, rng: np.random.Generator, count: int, size: float):
        n_epic = round(count * self.config.epic_only_fraction)
        idx = np.concatenate(
            [
                rng.choice(self._pool_shared, count - n_epic, replace=False),
                rng.choice(self._pool_epic_only, n_epic, replace=False),
            ]
        )
        # Flip away from the baseline state: islands gain methylation, open
        # sea loses it; intermediate CpGs go either way.
        direction = -np.sign(self.baseline[idx] + rng.normal(0.0, 0.3, len(idx)))
        magnitude = np.abs(rng.normal(size, 0.35 * size, len(idx)))
        return idx, (direction * magnitude).astype(np.float32)

    def _draw_programmes(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.config
        idx = rng.choice(self._pool_shared, cfg.n_programme_cpgs, replace=False)
        loadings = rng.normal(0.0, 1.0, (cfg.n_programmes, len(idx))).astype(np.float32)
        return idx, loadings

    def _align_normals(self, normals: pd.DataFrame) -> dict[str, np.ndarray]:
        pos = normals.index.get_indexer(pd.Index(self.probe_ids))
        out = {}
        for tissue in normals.columns:
            values = np.full(len(self.probe_ids), np.nan, dtype=np.float32)
            found = pos >= 0
            values[found] = normals[tissue].to_numpy(dtype=np.float32)[pos[found]]
            if tissue != "blood":
                # Binary cell-reference states become typical betas.
                values = np.where(np.isnan(values), np.nan, np.where(values > 0.5, 0.9, 0.06))
            out[tissue] = values.astype(np.float32)
        return out

    def _normal_for(self, site: str, columns: np.ndarray, rng) -> np.ndarray:
        tissue = _tissue_for_site(site)
        ref = self.normals[tissue][columns]
        fallback = _sigmoid(self.baseline[columns] + rng.normal(0.0, 0.3, len(columns)))
        ref = np.where(np.isnan(ref), fallback, ref + rng.normal(0.0, 0.03, len(columns)))
        return np.clip(ref, 0.0, 1.0)

    def _apply_sex(self, m: np.ndarray, columns: np.ndarray, sex: str, rng) -> np.ndarray:
        on_x = self.is_x[columns]
        on_y = self.is_y[columns]
        if sex == "female":
            # X inactivation: one methylated copy lifts island CpGs to ~0.45.
            m = np.where(on_x & (m < 0), rng.normal(-0.2, 0.3, len(m)), m)
            m = np.where(on_y, rng.normal(-2.5, 0.8, len(m)), m)  # no Y: background only
        return m

    def _apply_technical(self, beta, columns, spec: SampleSpec, rng) -> np.ndarray:
        n = len(columns)
        if spec.array_type != "450k":
            beta = _sigmoid(_logit(np.clip(beta, 1e-3, 1 - 1e-3)) + self.batch_shift[columns])
        # Infinium II probes have a compressed dynamic range compared with I.
        compress = np.where(self.type_one[columns], 0.0, 0.06)
        ffpe = spec.material == "FFPE"
        compress = compress + (rng.uniform(0.05, 0.2) if ffpe else rng.uniform(0.0, 0.04))
        beta = 0.5 + (beta - 0.5) * (1.0 - compress)
        beta = beta + rng.normal(0.0, 0.045 if ffpe else 0.02, n)
        beta = np.clip(beta, 0.0, 1.0)
        failed_rate = rng.uniform(0.002, 0.03) if ffpe else rng.uniform(0.0, 0.005)
        beta[rng.random(n) < failed_rate] = np.nan
        return beta


def _tissue_for_site(site: str) -> str:
    text = (site or "").lower()
    if "abdomen" in text or "visceral" in text or "pelvi" in text or "retroperiton" in text:
        return "omentum"
    if "skin" in text:
        return "skin"
    if "lymph" in text or "blood" in text:
        return "blood"
    return "fat"


def _sigmoid(m):
    return 1.0 / (1.0 + np.exp(-m))


def _logit(b):
    return np.log(b / (1.0 - b))
