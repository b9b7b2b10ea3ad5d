"""Derive the compact probe manifest from ``../shared/data``.

Writes, under ``classifier/data/``:

``probe_manifest.parquet``
    One row per base probe id on the 450K, EPIC v1 or EPICv2 array (sorted
    by id): chromosome, hg38 position and design type where known, the
    CpG-island flag, array membership and one boolean column per probe
    filter of :data:`classifier.manifest.FILTERS`.
``epicv2_probe_ids.parquet``
    The suffixed EPICv2 probe ids (``cg00000029_TC21``) in the order of the
    Peters et al. 2024 manifest, which is the canonical EPICv2 order.

Users of the product do not have ``../shared``; the outputs are committed
and their provenance is in ``classifier/data/NOTICE.md``. Run from the
repository root::

    python scripts/build_manifest.py --shared ../shared/data
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "classifier" / "data"
CHROMOSOMES = [*(str(i) for i in range(1, 23)), "X", "Y", "M"]

# Chen 2013 (450K) and McCartney 2016 (EPIC) list probes that hybridise to
# several genomic sites; they were made for exactly this question and are
# the lists most pipelines use. The other methylcheck sources (Price 2013,
# Naeem 2014, Zhou 2016) flag many more probes and feed the broad filter.
_CROSS_REACTIVE_SOURCES = ("Chen_etal_2013", "McCartney_etal_2016")
# Zhou 2016 annotates SNPs by population frequency at the target CpG and
# extension base on both arrays. Chen/McCartney/Price/Naeem/Daca-Roszak
# flag any SNP anywhere in the probe body: their union covers two thirds of
# the 450K array, too much for a default, so it feeds the broad filter only.
_SNP_SOURCES = ("Zhou_etal_2016",)


def build(manifests: Path, filters: Path) -> tuple[pa.Table, pa.Table]:
    """Return the manifest table and the ordered EPICv2 id table."""
    hm450 = _read_450k(manifests / "hm450_hg38_annotation.tsv.gz")
    epic_map = pd.read_csv(
        manifests / "epic_v1_probe_chromosome.csv.gz", dtype=str, keep_default_na=False
    )
    epic = epic_map.set_index("IlmnID")["chr"].map(_chrom)
    v2_raw = pd.read_parquet(manifests / "epicv2_manifest_peters2024.parquet")
    v2 = _collapse_epicv2(v2_raw)

    ids = pd.Index(sorted(set(hm450.index) | set(epic.index) | set(v2.index)), name="probe_id")
    # hg38 coordinates of the 450K annotation first, then the EPICv2 (hg38)
    # chromosome, then the EPIC v1 map, for probes the earlier ones lack.
    chrom = hm450["chrom"].reindex(ids)
    chrom = chrom.fillna(v2["chrom"].reindex(ids)).fillna(epic.reindex(ids))
    design = hm450["design"].reindex(ids).fillna(v2["design"].reindex(ids))

    mnp = {name: _read_list(filters / "mnp" / f"{stem}.txt") for name, stem in _MNP_FILES.items()}
    checks = pd.concat(
        pd.read_csv(filters / "methylcheck" / name, usecols=["Probe", "Reason", "ShortCitation"])
        for name in (
            "450k_polymorphic_crossRxtve_probes.csv.gz",
            "EPIC_polymorphic_crossRxtve_probes.csv.gz",
        )
    )
    poly = checks[checks["Reason"] == "Polymorphism"]
    xhyb = checks[checks["Reason"] == "CrossHybridization"]
    sex = set().union(
        *(
            _read_list(filters / "methylcheck" / name)
            for name in ("450k_sex_probes.txt.gz", "EPIC_sex_probes.txt.gz")
        )
    )
    any_xy = (
        chrom.isin(["X", "Y"])
        | hm450["chrom"].reindex(ids).isin(["X", "Y"])
        | v2["chrom"].reindex(ids).isin(["X", "Y"])
        | epic.reindex(ids).isin(["X", "Y"])
    )
    snp_mnp = ids.isin(list(mnp["snp"]))
    snp = snp_mnp | ids.isin(poly.loc[poly["ShortCitation"].isin(_SNP_SOURCES), "Probe"])
    blat = ids.isin(v2.index[v2["ch_blat"]])
    cross = blat | ids.isin(xhyb.loc[xhyb["ShortCitation"].isin(_CROSS_REACTIVE_SOURCES), "Probe"])
    columns: dict[str, object] = {
        "probe_id": pa.array(ids.to_numpy(dtype=object), pa.string()),
        "chrom": _dictionary(chrom, CHROMOSOMES),
        "pos": pa.array(hm450["pos"].reindex(ids).to_numpy(), pa.int32(), from_pandas=True),
        "design": _dictionary(design, ["I", "II"]),
        "cgi": pa.array(hm450["cgi"].reindex(ids).to_numpy(), pa.bool_(), from_pandas=True),
        "on_450k": ids.isin(hm450.index),
        "on_epic": ids.isin(epic.index),
        "on_epicv2": ids.isin(v2.index),
        "snp": snp,
        "snp_mnp": snp_mnp,
        "snp_broad": snp | ids.isin(poly["Probe"]),
        "cross_reactive": cross,
        "cross_reactive_broad": cross | ids.isin(xhyb["Probe"]),
        "xy": ids.isin(list(mnp["xy"] | sex)) | any_xy.to_numpy(),
        "ambiguous": ids.isin(list(mnp["ambiguous"])),
        "non_cpg": ~ids.str.startswith("cg"),
        "epic_missing_450k": ids.isin(list(mnp["epic_missing_450k"])),
    }
    table = pa.table({k: v if isinstance(v, pa.Array) else pa.array(v) for k, v in columns.items()})
    order = pa.table({"probe_id": pa.array(v2_raw["IlmnID"].to_numpy(dtype=object), pa.string())})
    return table, order


def write(table: pa.Table, path: Path) -> None:
    """Write a table as zstd parquet, delta-encoding the sorted id strings."""
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=19,
        use_dictionary=[c for c in table.column_names if c not in ("probe_id", "pos")],
        column_encoding={"probe_id": "DELTA_BYTE_ARRAY"},
        row_group_size=len(table),
    )


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build the manifest and print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--manifests", type=Path, help="default: SHARED/manifests")
    parser.add_argument("--filters", type=Path, help="default: SHARED/probe_filters")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    manifests = args.manifests or args.shared / "manifests"
    filters = args.filters or args.shared / "probe_filters"
    table, order = build(manifests, filters)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in (("probe_manifest.parquet", table), ("epicv2_probe_ids.parquet", order)):
        write(data, args.out / name)
        size = (args.out / name).stat().st_size
        print(f"{name}: {data.num_rows:,} rows, {size / 1e6:.2f} MB")
    frame = table.to_pandas()
    for column in ("on_450k", "on_epic", "on_epicv2", *table.column_names[8:]):
        print(f"  {column:<22}{int(frame[column].sum()):>10,}")


_MNP_FILES = {
    "ambiguous": "amb_3965probes.vh20151030",
    "snp": "snp_7998probes.vh20151030",
    "xy": "xy_11551probes.vh20151030",
    "epic_missing_450k": "epicV1B2_32260probes.vh20160325",
}


def _read_list(path: Path) -> set[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        return {line.strip() for line in handle if line.strip()}


def _read_450k(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(
        path,
        sep="\t",
        usecols=["Probe_ID", "CpG_chrm", "CpG_beg", "Infinium_Design_Type", "CGI_flag"],
        dtype={"Probe_ID": str, "CpG_chrm": str, "Infinium_Design_Type": str},
    ).set_index("Probe_ID")
    contig = raw["CpG_chrm"].fillna("")
    # Positions on alt/unlocalised contigs are not chromosome coordinates;
    # their chromosome is still known from the contig name.
    primary = ~contig.str.contains("_", regex=False) & (contig != "")
    return pd.DataFrame(
        {
            "chrom": contig.map(_chrom),
            # CpG_beg is the 0-based start of the CpG; store the 1-based C.
            "pos": (raw["CpG_beg"] + 1).where(primary).astype("Int64"),
            "design": raw["Infinium_Design_Type"],
            "cgi": raw["CGI_flag"].astype("boolean"),
        }
    )


def _collapse_epicv2(raw: pd.DataFrame) -> pd.DataFrame:
    ids = raw["IlmnID"].astype(str)
    parts = ids.str.extract(r"^(?P<base>[^_]+)_[TB][CO](?P<design>[12])\d+$")
    if parts["base"].isna().any():
        raise ValueError(f"unexpected EPICv2 ids: {ids[parts['base'].isna()].head().tolist()}")
    frame = pd.DataFrame(
        {
            "base": parts["base"],
            "chrom": raw["CHR"].map(_chrom),
            # The third suffix character is the Infinium design (1 = I, 2 = II).
            "design": parts["design"].map({"1": "I", "2": "II"}),
            "ch_blat": raw["CH_BLAT"].eq("Y"),
        }
    )
    grouped = frame.groupby("base", sort=True)
    # Replicates of one CpG with different designs leave the design unknown.
    designs = grouped["design"].first().where(grouped["design"].nunique() == 1)
    return pd.DataFrame(
        {
            "chrom": grouped["chrom"].first(),
            "design": designs,
            "ch_blat": grouped["ch_blat"].any(),
        }
    )


def _chrom(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    name = value.removeprefix("chr").split("_", 1)[0]
    return name if name in CHROMOSOMES else None


def _dictionary(values: pd.Series, categories: list[str]) -> pa.DictionaryArray:
    codes = pd.Categorical(values, categories=categories).codes
    return pa.DictionaryArray.from_arrays(
        pa.array(codes, pa.int8(), mask=codes < 0), pa.array(categories, pa.string())
    )


if __name__ == "__main__":
    main()
