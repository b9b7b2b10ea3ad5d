"""The parameters of the synthetic world, each a prior with its source.

Every number the generative model (:mod:`training.synthetic.world`) uses is
a field of :class:`WorldPriors`. Each is either taken from a publication
(the source is named in :data:`PRIOR_SOURCES`) or, where no publication
gives the number, an assumption stated as such, chosen once from what is
known of Infinium data and **never adjusted to make the classifier reach a
figure**. The figures the default cohort gives are whatever follows from
these values (``docs/benchmarks.md``).

Units: methylation effects are in M-value (logit of beta) units, where
effects add up; a shift of 2.5 takes an unmethylated CpG (beta 0.06) to
about 0.45. Shares are of the CpG probes of the 450K and EPIC arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["PRIOR_SOURCES", "WorldPriors", "prior_table"]


@dataclass(frozen=True)
class WorldPriors:
    """Parameters of the generative model; see :data:`PRIOR_SOURCES` for each one's basis."""

    # Baseline methylation by relation to CpG islands: mean and SD of M.
    island_m: tuple[float, float] = (-2.75, 0.7)
    shore_m: tuple[float, float] = (-0.1, 1.6)
    shelf_m: tuple[float, float] = (1.7, 0.9)
    open_sea_m: tuple[float, float] = (1.5, 1.1)
    # Relation shares drawn for probes without annotation (EPIC-only).
    epic_only_relation: tuple[float, float, float, float] = (0.1, 0.15, 0.1, 0.65)
    # Informative share: the share of CpGs carrying each level's effect.
    group_share: float = 0.003
    family_share: float = 0.0008
    class_share: float = 0.0003
    subtype_share: float = 0.0001
    effect_m: float = 2.5
    effect_cv: float = 0.35
    # Within-class variation.
    programme_share: float = 0.01
    n_programmes: int = 5
    programme_sd: float = 0.5
    biological_sd: float = 0.5
    # Normal tissue.
    reference_state_m: float = 2.5
    tissue_share: float = 0.004
    immune_share: tuple[float, float] = (0.1, 0.5)
    # Technical effects.
    type2_scale: float = 0.85
    type2_share_unknown: float = 0.84
    platform_sd: float = 0.2
    batch_global_sd: float = 0.1
    batch_probe_sd: float = 0.15
    ffpe_degradation: tuple[float, float] = (2.0, 3.0)
    ffpe_bias_sd: float = 0.3
    ffpe_compression: float = 0.25
    ffpe_noise_sd: float = 0.3
    noise_sd_type1: float = 0.15
    noise_sd_type2: float = 0.22
    failed_frozen: float = 0.002
    failed_ffpe: float = 0.04


#: Field name -> (kind, basis). Kind is "source" (a published value or
#: fact) or "assumption" (no published number; stated and kept fixed).
PRIOR_SOURCES: dict[str, tuple[str, str]] = {
    "island_m": (
        "source",
        "Island CpGs are mostly unmethylated: median beta 0.06 in blood and brain on the "
        "450K (PMC5014706, Table 2); SD an assumption.",
    ),
    "shore_m": (
        "source",
        "Shores are intermediate and broad: median beta 0.42-0.49 (PMC5014706, Table 2); "
        "SD an assumption.",
    ),
    "shelf_m": ("source", "Shelves are methylated: median beta 0.83-0.85 (PMC5014706, Table 2)."),
    "open_sea_m": (
        "source",
        "Open-sea and gene-body CpGs are mostly methylated: median beta 0.76-0.85 for gene "
        "bodies and quiescent chromatin (PMC5014706, Table 2).",
    ),
    "epic_only_relation": (
        "assumption",
        "EPIC's added probes target distal enhancers, mostly outside islands (Pidsley et al. "
        "2016, Genome Biol 17:208); the shares are an assumption for probes the shipped "
        "annotation does not cover (none is in the default cohort).",
    ),
    "group_share": (
        "assumption",
        "Tissue-of-origin differences (bone, soft tissue, other, control) touch a few "
        "thousand CpGs; with family and class signatures about 4-5% of CpGs carry class "
        "signal, 'a few percent of ~450,000' (issue 18); the reference classifier uses "
        "10,000 of 428,799 CpGs (Capper 2018).",
    ),
    "family_share": ("assumption", "See group_share: about 360 CpGs per family at full width."),
    "class_share": (
        "assumption",
        "See group_share: about 135 CpGs per class at full width, part of them shared with "
        "the class's published neighbours (training/data/class_neighbours.csv).",
    ),
    "subtype_share": ("assumption", "Two subtypes per class with a few dozen CpGs of their own."),
    "effect_m": (
        "assumption",
        "A differentially methylated CpG moves by a beta difference of 0.3-0.5 (2.5 M units "
        "from an island's 0.06 reach 0.45), the order of the CpGs that tumour-type "
        "classifiers rank highest; directions flip away from the baseline (islands gain, "
        "open sea loses methylation), as in tumours.",
    ),
    "effect_cv": ("assumption", "Spread of effect sizes among CpGs of one signature."),
    "programme_share": (
        "assumption",
        "Shared programmes (proliferation, hypoxia, immune) vary across all classes.",
    ),
    "n_programmes": ("assumption", "Number of shared programmes."),
    "programme_sd": ("assumption", "Per-sample loading SD of a programme."),
    "biological_sd": ("assumption", "Per-CpG, per-sample biological variation (M units)."),
    "reference_state_m": (
        "source",
        "Binary states of the sesameData cell references (omentum, subcutaneous fat, skin; "
        "Zhou et al.) become M = +/-2.5 (beta 0.92 / 0.08).",
    ),
    "tissue_share": (
        "assumption",
        "CpGs where a normal tissue without a shipped reference (muscle, and blood beyond "
        "the 600 Reinius probes) differs from the mesenchymal baseline.",
    ),
    "immune_share": (
        "source",
        "Leukocytes are the main non-tumour component of solid tumours (Aran, Sirota & "
        "Butte 2015, Nat Commun 6:8971); share of the normal component, drawn uniformly.",
    ),
    "type2_scale": (
        "source",
        "Infinium II probes have a compressed dynamic range compared with type I "
        "(Dedeurwaerder et al. 2011, Epigenomics 3:771; Teschendorff et al. 2013, "
        "Bioinformatics 29:189, BMIQ); the factor is an assumption.",
    ),
    "type2_share_unknown": (
        "source",
        "Share of type II among EPIC probes without design annotation (EPIC is about 84% "
        "type II; Pidsley et al. 2016).",
    ),
    "platform_sd": (
        "source",
        "Per-probe differences between 450K and EPIC on the same samples (Logue et al. "
        "2017, Epigenomics 9:1363; Fortin, Triche & Hansen 2017, Bioinformatics 33:558); "
        "size an assumption.",
    ),
    "batch_global_sd": (
        "source",
        "Batch (site, supplier, run) effects are among the largest sources of variation "
        "in Infinium data (Leek et al. 2010, Nat Rev Genet 11:733; Price & Robinson 2018, "
        "Front Genet 9:83); each supplier of the real sheet is a batch; size an assumption.",
    ),
    "batch_probe_sd": (
        "assumption",
        "Per-probe batch effect: each supplier loads on two shared probe-sensitivity "
        "vectors, stronger for type II probes (Sun et al. 2011, BMC Med Genomics 4:84).",
    ),
    "ffpe_degradation": (
        "assumption",
        "Per-sample FFPE degradation drawn from Beta(2, 3); frozen and blood samples 0.",
    ),
    "ffpe_bias_sd": (
        "source",
        "FFPE shifts probes systematically against frozen tissue, which the reference "
        "method corrects before training (Capper 2018; de Ruijter et al. 2015, Lab Invest "
        "95:833); size an assumption.",
    ),
    "ffpe_compression": (
        "assumption",
        "Degraded DNA pulls betas towards the middle (lower signal, more background).",
    ),
    "ffpe_noise_sd": ("assumption", "Extra per-CpG noise at full degradation (M units)."),
    "noise_sd_type1": (
        "source",
        "Technical replicates correlate at r >= 0.98 (Bibikova et al. 2011, Genomics "
        "98:288); the SD is an assumption of that order.",
    ),
    "noise_sd_type2": (
        "source",
        "Type II probes are less reproducible than type I (Dedeurwaerder et al. 2011).",
    ),
    "failed_frozen": (
        "assumption",
        "Share of probes failing detection in good frozen DNA.",
    ),
    "failed_ffpe": (
        "source",
        "FFPE samples fail more probes as DNA degrades (de Ruijter et al. 2015); share at "
        "full degradation an assumption.",
    ),
}


def prior_table() -> list[dict[str, str]]:
    """Every parameter with its default value, kind and basis (for the docs)."""
    defaults = WorldPriors()
    return [
        {
            "parameter": f.name,
            "value": str(getattr(defaults, f.name)),
            "kind": PRIOR_SOURCES[f.name][0],
            "basis": PRIOR_SOURCES[f.name][1],
        }
        for f in fields(WorldPriors)
    ]
