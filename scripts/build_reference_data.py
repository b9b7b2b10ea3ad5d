"""Derive the synthetic cohort's real inputs from ``../shared/data``.

Writes, under ``training/data/``:

``gse140686_samples.csv``
    The real sample sheet of the sarcoma reference cohort (Koelsche et al.
    2021, GEO GSE140686): one row per profile with its array, material,
    purity, site and submitted diagnosis, the methylation class as GEO
    writes it and our class code (``label``).
``normal_tissue.parquet``
    Real normal-tissue methylation per 450K probe: binary states of omentum,
    subcutaneous fat and skin (sesameData cell references) and mean betas of
    blood (Reinius 2012 whole-blood cell types, averaged with typical
    leukocyte proportions).
``cpg_island_relation.parquet``
    The relation of every 450K probe to CpG islands (island, shore, shelf,
    open sea): open sea from Illumina's annotation (the shared hg38 table's
    ``CGI_flag``, 0 = more than 4 kb from a UCSC island), and island / shore
    / shelf from the epian package's overlap table with the hg19 islands of
    FDb.InfiniumMethylation.hg19 (``--epian-sysdata``: the package's
    ``R/sysdata.rda``, read with pyreadr, a build-time tool only).

Run from the repository root::

    python scripts/build_reference_data.py --shared ../shared/data \
        --epian-sysdata PATH/epian/R/sysdata.rda
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.taxonomy import load_taxonomy

OUT = Path(__file__).resolve().parents[1] / "training" / "data"

# Typical leukocyte proportions of adult whole blood; weights the Reinius
# cell-type means into one "blood" reference.
_BLOOD_WEIGHTS = {
    "neutrophil": 0.60,
    "cd4_t_cell": 0.14,
    "cd8_t_cell": 0.08,
    "b_cell": 0.05,
    "nk_cell": 0.05,
    "monocyte": 0.08,
}
_MATERIAL = {"FFPE": "FFPE", "KRYO": "frozen", "EDTA blood": "blood"}


def build_sheet(shared: Path) -> pd.DataFrame:
    """Return the tidy GSE140686 sample sheet with class codes."""
    taxonomy = load_taxonomy()
    parts = []
    for name, array in (("samples_450k.csv", "450k"), ("samples_epic.csv", "epic")):
        raw = pd.read_csv(shared / "gse140686" / name, dtype=str)
        parts.append(
            pd.DataFrame(
                {
                    "sample_id": raw["geo_accession"],
                    "reference_id": raw["ID"],
                    "array_type": array,
                    "methylation_class": raw["Methylation.Class.Name"],
                    "diagnosis": raw["Diagnosis"],
                    "site": raw["Site"],
                    "manifestation": raw["Manifestation"],
                    "material": raw["DNA"].map(_MATERIAL),
                    "purity": pd.to_numeric(raw["Tumour.cell.content.[absolute]"]).round(4),
                    "supplier": raw["Supplier"],
                }
            )
        )
    sheet = pd.concat(parts, ignore_index=True)
    codes = sheet["methylation_class"].map(taxonomy.code_of)
    if codes.isna().any():
        missing = sorted(sheet.loc[codes.isna(), "methylation_class"].unique())
        raise SystemExit(f"classes.csv lacks methylation classes of the sheet: {missing}")
    sheet.insert(1, "label", codes)
    sheet.insert(2, "family", sheet["label"].map(taxonomy.family_of))
    if sheet["material"].isna().any():
        raise SystemExit("unknown DNA material in the sheet")
    return sheet


def build_normals(shared: Path) -> pd.DataFrame:
    """Return one table of normal-tissue methylation indexed by probe id."""
    normals = shared / "normals"
    cols = {}
    for tissue, fname in (
        ("omentum", "sesame_cellref_omentum.tsv.gz"),
        ("fat", "sesame_cellref_scFat.tsv.gz"),
        ("skin", "sesame_cellref_skin.tsv.gz"),
    ):
        table = pd.read_csv(normals / fname, sep="\t", index_col=0)
        cols[tissue] = table.iloc[:, 0].astype(np.float32)
    blood = pd.read_csv(normals / "blood_celltypes_reinius_450k.csv", index_col=0)
    weights = pd.Series(_BLOOD_WEIGHTS)
    cols["blood"] = (blood[weights.index] * weights).sum(axis=1).astype(np.float32)
    out = pd.DataFrame(cols)
    out.index.name = "probe_id"
    return out.sort_index()


def build_island_relation(shared: Path, epian_sysdata: Path) -> pd.DataFrame:
    """Return each 450K probe's relation to CpG islands.

    Illumina's flag (via ChAMPdata in the shared hg38 table) says exactly
    which probes lie more than 4 kb from a UCSC island (open sea, 176,112);
    it merges island, shore and shelf. Those are split by epian's overlap
    table against the hg19 islands of FDb.InfiniumMethylation.hg19, a
    broader island set than Illumina's (it calls 176,061 of the near-island
    probes island where Illumina's manifest has 150,254); the 1,546
    near-island probes it places in open sea become shelf, the outermost
    near-island relation.
    """
    import pyreadr  # build-time only: reads the R data file

    table = pyreadr.read_r(str(epian_sysdata))["cpgi_hm450_hg19"].set_index("Probe_ID")
    split = pd.Series(
        np.select(
            [table["CGI"], table["N_Shore"] | table["S_Shore"]], ["island", "shore"], "shelf"
        ),
        index=table.index,
    )
    flags = pd.read_csv(
        shared / "manifests" / "hm450_hg38_annotation.tsv.gz",
        sep="\t",
        usecols=["Probe_ID", "CGI_flag"],
        index_col="Probe_ID",
    )["CGI_flag"]
    near = flags.astype(bool)
    relation = pd.Series("open_sea", index=flags.index, dtype=object)
    relation[near] = split.reindex(flags.index[near]).fillna("shelf").to_numpy()
    out = pd.DataFrame(
        {"relation": pd.Categorical(relation, categories=list(RELATIONS))}, index=flags.index
    )
    out.index.name = "probe_id"
    return out.sort_index()


#: Relations to CpG islands, from the island outwards.
RELATIONS = ("island", "shore", "shelf", "open_sea")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"))
    parser.add_argument("--epian-sysdata", type=Path, required=True)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    sheet = build_sheet(args.shared)
    sheet.to_csv(OUT / "gse140686_samples.csv", index=False)
    normals = build_normals(args.shared)
    normals.to_parquet(OUT / "normal_tissue.parquet", compression="zstd")
    print(f"sheet: {len(sheet)} profiles, {sheet['label'].nunique()} classes")
    print(f"normals: {len(normals)} probes, columns {list(normals.columns)}")
    relation = build_island_relation(args.shared, args.epian_sysdata)
    relation.to_parquet(OUT / "cpg_island_relation.parquet", compression="zstd")
    print(f"island relation: {relation['relation'].value_counts().to_dict()}")


if __name__ == "__main__":
    main()
