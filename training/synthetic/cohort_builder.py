"""Build the default synthetic reference cohort, or single full-array profiles.

Usage::

    python -m training.synthetic --out DIR [--seed N] [--scale F] [--n-cpgs N]
                                 [--classes DSRCT,EWS,...]
    python -m training.synthetic --profile DSRCT --array epic --out FILE.json
                                 [--purity 0.6] [--material FFPE] [--seed N]
                                 [--sample-id ID] [--diagnosis TEXT] [--form arrays|object]

The first form writes ``DIR/betas.parquet`` and ``DIR/samples.csv`` (see
:mod:`training.cohort`): one profile per row of the real GSE140686 sample
sheet (1,077 profiles, 65 classes) at ``--scale 1``. The second writes one
full-array profile (every probe of a 450K, EPIC or EPICv2 array, EPICv2 ids
with their suffixes) as the JSON request body a LIS would POST to
``/v1/classify``. The generative model is described in
:mod:`training.synthetic.world`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from classifier.errors import ClassifierError
from classifier.manifest import load_manifest
from classifier.probes import ArrayType, base_probe_ids
from classifier.taxonomy import load_taxonomy
from training.cohort import Cohort, write_cohort
from training.out_paths import directory_problem, file_problem
from training.synthetic.priors import WorldPriors
from training.synthetic.world import SampleSpec, SyntheticWorld

__all__ = ["build_cohort", "generate_profile", "load_reference_sheet", "main", "make_world"]

log = logging.getLogger(__name__)

#: CpG columns of the default cohort: a uniform random sample of the 450,161
#: CpG probes on both the 450K and EPIC arrays (about 103,000 of them pass
#: the default probe filters), drawn as a real matrix's columns are, never by
#: informativeness. 1,077 x 125,000 float32 is 540 MB in memory.
DEFAULT_N_CPGS = 125_000


def load_reference_sheet() -> pd.DataFrame:
    """Return the real GSE140686 sample sheet shipped in ``training/data``."""
    path = resources.files("training") / "data" / "gse140686_samples.csv"
    with path.open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype={"sample_id": str})


def _data_file(name: str):
    return resources.files("training") / "data" / name


def _read_parquet(name: str) -> pd.DataFrame:
    with _data_file(name).open("rb") as fh:
        return pd.read_parquet(fh)


@cache
def make_world(seed: int = 0) -> SyntheticWorld:
    """Build (and cache) the generative model for a seed."""
    with _data_file("class_neighbours.csv").open(encoding="utf-8") as fh:
        neighbours = pd.read_csv(fh)
    return SyntheticWorld(
        load_manifest().table,
        load_taxonomy().classes,
        _read_parquet("normal_tissue.parquet"),
        _read_parquet("cpg_island_relation.parquet")["relation"],
        neighbours,
        seed=seed,
        priors=WorldPriors(),
    )


def build_cohort(
    seed: int = 0,
    scale: float = 1.0,
    n_cpgs: int | None = DEFAULT_N_CPGS,
    classes: list[str] | None = None,
    *,
    oracle_share: float | None = None,
) -> Cohort:
    """Simulate the reference cohort.

    Parameters
    ----------
    seed : int, default=0
        Seed of the generative model and of every sample.
    scale : float, default=1.0
        Share of each class's sheet rows to simulate (at least 3 per class),
        so that tests can build a tiny cohort in a second.
    n_cpgs : int or None, default=125000
        Number of CpG columns, a uniform random sample of the CpG probes on
        both the 450K and the EPIC array (None: all 450,161, full width).
        Filtered probes (SNP, cross-reactive, X/Y, ...) are among them in
        their real proportion, as in a real matrix.
    classes : list of str, optional
        Restrict to these class codes.
    oracle_share : float, optional
        For tiny test cohorts only: draw this share of the columns from the
        CpGs that carry class signal, so that a few thousand columns can
        train a model. A label-informed choice of columns, which no
        evaluation may use; None (the default) draws columns as an array
        has them.

    Returns
    -------
    Cohort
        Beta values (NaN where the row's array lacks the probe or it failed)
        and the sheet's annotations: label, family, array_type, material,
        purity, diagnosis, site, supplier, plus the simulated sex and FFPE
        degradation.
    """
    if not 0 < scale <= 1:
        raise ClassifierError(f"scale must be in (0, 1], got {scale}", field="scale")
    if n_cpgs is not None and n_cpgs < 100:
        raise ClassifierError(f"n_cpgs must be at least 100, got {n_cpgs}", field="n_cpgs")
    if oracle_share is not None and not 0 < oracle_share <= 1:
        raise ClassifierError(
            f"oracle_share must be in (0, 1], got {oracle_share}", field="oracle_share"
        )
    world = make_world(seed)
    sheet = _select_rows(load_reference_sheet(), seed, scale, classes)
    columns = select_columns(world, n_cpgs, seed, oracle_share)
    rng = np.random.default_rng([seed, 3])
    male_share = np.where(sheet["label"] == "DSRCT", 0.8, 0.5)
    sexes = np.where(rng.random(len(sheet)) < male_share, "male", "female")
    degradation = [round(world.degradation(m, rng), 4) for m in sheet["material"]]

    values = np.empty((len(sheet), len(columns)), dtype=np.float32)
    for i, row in enumerate(sheet.to_dict("records")):
        spec = SampleSpec(
            label=str(row["label"]),
            array_type=str(row["array_type"]),
            material=str(row["material"]),
            purity=float(row["purity"]),
            site=row["site"] if isinstance(row["site"], str) else "",
            sex=str(sexes[i]),
            supplier=row["supplier"] if isinstance(row["supplier"], str) else "",
            degradation=degradation[i],
        )
        values[i] = world.sample(spec, columns, seed=int(row["Index_"]))
    betas = pd.DataFrame(
        values, index=sheet["sample_id"].to_numpy(), columns=world.probe_ids[columns]
    )
    betas.index.name = "sample_id"
    samples = sheet.drop(columns=["Index_"]).set_index("sample_id")
    samples["sex"] = sexes
    samples["degradation"] = degradation
    return Cohort(betas=betas, samples=samples)


def generate_profile(
    label: str,
    array_type: ArrayType | str,
    seed: int = 0,
    *,
    sample_seed: int = 0,
    purity: float = 0.6,
    material: str = "frozen",
    site: str = "Soft tissue, trunk, abdomen",
    sex: str = "male",
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate one full-array profile.

    Parameters
    ----------
    label : str
        Class code (see ``classifier/data/classes.csv``).
    array_type : ArrayType or str
        ``450k``, ``epic`` or ``epicv2``.
    seed : int, default=0
        Seed of the generative model (use the cohort's to match the model).
    sample_seed : int, default=0
        Seed of this sample's noise.
    purity, material, site, sex
        Sample annotations, as in the sheet.

    Returns
    -------
    probe_ids : numpy.ndarray of str
        Every probe of the array in the manifest's order (EPICv2 ids keep
        their suffixes; replicates get independent noise).
    values : numpy.ndarray of float32
        Beta values, NaN for failed probes.
    """
    array = ArrayType.parse(array_type) if isinstance(array_type, str) else array_type
    taxonomy = load_taxonomy()
    code = taxonomy.code_of(label)
    if code is None:
        raise ClassifierError(f"unknown class {label!r}", field="label")
    world = make_world(seed)
    raw_ids = load_manifest().array_probe_ids(array)
    columns = world.index_of(base_probe_ids(raw_ids))
    if (columns < 0).any():
        raise ClassifierError("manifest and world disagree on probe ids", field="array_type")
    spec = SampleSpec(code, array.value, material, purity, site, sex)
    # EPICv2 replicate probes share a base id, hence a column, and get
    # independent technical noise from the per-probe noise draw.
    values = world.sample(spec, columns, seed=10_000_000 + sample_seed)
    return np.asarray(raw_ids), values


@dataclass(frozen=True)
class _Args:
    out: Path
    seed: int
    scale: float
    n_cpgs: int | None
    classes: list[str] | None
    profile: str | None
    array: str
    purity: float
    material: str
    sample_id: str
    diagnosis: str | None
    form: str


def _select_rows(sheet: pd.DataFrame, seed: int, scale: float, classes) -> pd.DataFrame:
    sheet = sheet.reset_index().rename(columns={"index": "Index_"})
    if classes:
        unknown = sorted(set(classes) - set(sheet["label"]))
        if unknown:
            raise ClassifierError(f"unknown class codes {unknown}", field="classes")
        sheet = sheet[sheet["label"].isin(classes)]
    if scale >= 1:
        return sheet.reset_index(drop=True)
    rng = np.random.default_rng([seed, 4])
    keep: list[int] = []
    for _, group in sheet.groupby("label", sort=True):
        k = max(3, round(len(group) * scale))
        keep.extend(rng.choice(group.index.to_numpy(), min(k, len(group)), replace=False))
    return sheet.loc[sorted(keep)].reset_index(drop=True)


def select_columns(
    world: SyntheticWorld, n_cpgs: int | None, seed: int, oracle_share: float | None = None
) -> np.ndarray:
    """Universe positions of a cohort's CpG columns (see :func:`build_cohort`)."""
    both = world.on("450k") & world.on("epic")
    array = world.array_cpgs[both[world.array_cpgs]]
    if n_cpgs is None or n_cpgs >= len(array):
        return array
    rng = np.random.default_rng([seed, 5])
    if oracle_share is None:
        return np.sort(rng.choice(array, n_cpgs, replace=False))
    informative = np.intersect1d(world.informative, array)
    k = min(len(informative), round(oracle_share * n_cpgs))
    chosen = rng.choice(informative, k, replace=False)
    rest = rng.choice(np.setdiff1d(array, chosen), n_cpgs - k, replace=False)
    return np.sort(np.concatenate([chosen, rest]))


def _parse(argv: list[str] | None) -> _Args:
    parser = argparse.ArgumentParser(
        prog="python -m training.synthetic",
        description="Write the synthetic reference cohort, or one full-array profile as JSON.",
    )
    parser.add_argument("--out", type=Path, required=True, help="cohort directory, or JSON file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0, help="share of sheet rows per class")
    parser.add_argument(
        "--n-cpgs",
        type=_n_cpgs,
        default=DEFAULT_N_CPGS,
        help=f"CpG columns, a random sample of the 450K and EPIC CpGs (default {DEFAULT_N_CPGS}), "
        "or 'all' for full width (450,161)",
    )
    parser.add_argument("--classes", help="comma-separated class codes to keep")
    parser.add_argument("--profile", metavar="CLASS", help="write one profile of this class")
    # The options of one profile default to None here, so that one given
    # without --profile is refused rather than silently ignored.
    parser.add_argument("--array", help="with --profile: 450k, epic (default) or epicv2")
    parser.add_argument("--purity", type=float, help="with --profile: tumour share, default 0.6")
    parser.add_argument("--material", choices=["FFPE", "frozen", "blood"],
                        help="with --profile: default frozen")  # fmt: skip
    parser.add_argument("--sample-id", help="with --profile: default SYNTHETIC-0001")
    parser.add_argument("--diagnosis", help="with --profile: submitted diagnosis to include")
    parser.add_argument(
        "--form",
        choices=["arrays", "object"],
        help="with --profile: JSON form, parallel probe_ids/values arrays (default) or a "
        "betas object",
    )
    ns = parser.parse_args(argv)
    profile_options = {name: getattr(ns, name) for name in _PROFILE_DEFAULTS}
    if ns.profile is None:
        given = [
            f"--{name.replace('_', '-')}" for name, v in profile_options.items() if v is not None
        ]
        if given:
            verb = "applies" if len(given) == 1 else "apply"
            parser.error(f"{', '.join(given)} only {verb} with --profile CLASS")
        if problem := directory_problem(ns.out, "the cohort"):
            parser.error(problem)
    elif problem := file_problem(ns.out, "a profile (JSON)"):
        parser.error(problem)
    options = {k: _PROFILE_DEFAULTS[k] if v is None else v for k, v in profile_options.items()}
    if not 0.0 < options["purity"] <= 1.0:
        parser.error(f"--purity must be in (0, 1], got {options['purity']:g}")
    classes = [c.strip() for c in ns.classes.split(",")] if ns.classes else None
    return _Args(
        ns.out, ns.seed, ns.scale, ns.n_cpgs, classes, ns.profile, options["array"],
        options["purity"], options["material"], options["sample_id"], options["diagnosis"],
        options["form"],
    )  # fmt: skip


def _n_cpgs(text: str) -> int | None:
    if text == "all":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--n-cpgs takes a number of CpGs or 'all', got {text!r}"
        ) from None


#: The options of ``--profile`` and their defaults.
_PROFILE_DEFAULTS: dict[str, Any] = {
    "array": "epic",
    "purity": 0.6,
    "material": "frozen",
    "sample_id": "SYNTHETIC-0001",
    "diagnosis": None,
    "form": "arrays",
}


def write_profile_json(args: _Args) -> dict:
    """Write one full-array profile as a ``/v1/classify`` request body."""
    assert args.profile is not None
    ids, values = generate_profile(
        args.profile, args.array, args.seed, purity=args.purity, material=args.material
    )
    measured = [None if np.isnan(v) else round(float(v), 4) for v in values]
    profile: dict = {"sample_id": args.sample_id, "diagnosis": args.diagnosis, "findings": []}
    if args.form == "object":
        profile["betas"] = dict(zip(ids.tolist(), measured, strict=True))
    else:
        profile["probe_ids"] = ids.tolist()
        profile["values"] = measured
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"profiles": [profile]}, separators=(",", ":")))
    return {"probes": len(ids), "failed": int(np.isnan(values).sum())}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = _parse(argv)
    start = time.perf_counter()
    try:
        if args.profile:
            info = write_profile_json(args)
            print(
                f"wrote {args.out}: {info['probes']} probes ({args.array}), {info['failed']} failed"
            )
        else:
            cohort = build_cohort(args.seed, args.scale, args.n_cpgs, args.classes)
            write_cohort(cohort, args.out)
            size = sum(f.stat().st_size for f in args.out.iterdir()) / 1e6
            world = make_world(args.seed)
            signal = np.isin(world.index_of(cohort.betas.columns.to_numpy()), world.informative)
            print(
                f"wrote {args.out}: {len(cohort)} samples x {cohort.betas.shape[1]} CpGs "
                f"({signal.sum()} of them, {signal.mean():.1%}, carry class signal), "
                f"{cohort.samples['label'].nunique()} classes, {size:.1f} MB"
            )
    except ClassifierError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0
