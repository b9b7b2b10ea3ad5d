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
import math
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
from training.synthetic.world import SampleSpec, SyntheticWorld, WorldConfig

__all__ = ["build_cohort", "generate_profile", "load_reference_sheet", "main", "make_world"]

log = logging.getLogger(__name__)

#: CpGs of the default cohort: every informative CpG (about 18,000) plus
#: background, spread over all autosomes. 1,077 x 30,000 float32 is 130 MB
#: in memory.
DEFAULT_N_CPGS = 30_000
# A share of the columns are X/Y probes, so that the sex-chromosome filter
# has something to remove, as it does on real arrays.
_SEX_PROBE_SHARE = 0.01


def load_reference_sheet() -> pd.DataFrame:
    """Return the real GSE140686 sample sheet shipped in ``training/data``."""
    path = resources.files("training") / "data" / "gse140686_samples.csv"
    with path.open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype={"sample_id": str})


def _load_normals() -> pd.DataFrame:
    path = resources.files("training") / "data" / "normal_tissue.parquet"
    with path.open("rb") as fh:
        return pd.read_parquet(fh)


@cache
def make_world(seed: int = 0) -> SyntheticWorld:
    """Build (and cache) the generative model for a seed."""
    manifest = load_manifest()
    return SyntheticWorld(
        manifest.table, load_taxonomy().classes, _load_normals(), seed=seed, config=WorldConfig()
    )


def build_cohort(
    seed: int = 0,
    scale: float = 1.0,
    n_cpgs: int = DEFAULT_N_CPGS,
    classes: list[str] | None = None,
) -> Cohort:
    """Simulate the reference cohort.

    Parameters
    ----------
    seed : int, default=0
        Seed of the generative model and of every sample.
    scale : float, default=1.0
        Share of each class's sheet rows to simulate (at least 3 per class),
        so that tests can build a tiny cohort in a second.
    n_cpgs : int, default=30000
        Number of CpG columns. Every informative CpG is included when they
        fill at most 70% of the columns (the default does); a smaller cohort
        (tests) keeps a random subset of them, and says so in the log. The
        rest are background CpGs drawn over all autosomes plus a few X/Y probes.
    classes : list of str, optional
        Restrict to these class codes.

    Returns
    -------
    Cohort
        Beta values (NaN where the row's array lacks the probe or it failed)
        and the sheet's annotations: label, family, array_type, material,
        purity, diagnosis, site, sex.
    """
    if not 0 < scale <= 1:
        raise ClassifierError(f"scale must be in (0, 1], got {scale}", field="scale")
    if n_cpgs < 100:
        raise ClassifierError(f"n_cpgs must be at least 100, got {n_cpgs}", field="n_cpgs")
    world = make_world(seed)
    sheet = _select_rows(load_reference_sheet(), seed, scale, classes)
    columns = _select_columns(world, n_cpgs, seed)
    rng = np.random.default_rng([seed, 3])
    male_share = np.where(sheet["label"] == "DSRCT", 0.8, 0.5)
    sexes = np.where(rng.random(len(sheet)) < male_share, "male", "female")

    values = np.empty((len(sheet), len(columns)), dtype=np.float32)
    for i, row in enumerate(sheet.to_dict("records")):
        spec = SampleSpec(
            label=str(row["label"]),
            array_type=str(row["array_type"]),
            material=str(row["material"]),
            purity=float(row["purity"]),
            site=row["site"] if isinstance(row["site"], str) else "",
            sex=str(sexes[i]),
        )
        values[i] = world.sample(spec, columns, seed=int(row["Index_"]))
    betas = pd.DataFrame(
        values, index=sheet["sample_id"].to_numpy(), columns=world.probe_ids[columns]
    )
    betas.index.name = "sample_id"
    samples = sheet.drop(columns=["Index_"]).set_index("sample_id")
    samples["sex"] = sexes
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
    n_cpgs: int
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


def _select_columns(world: SyntheticWorld, n_cpgs: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 5])
    informative = world.informative
    n_sex = int(n_cpgs * _SEX_PROBE_SHARE)
    room = n_cpgs - n_sex
    if len(informative) > int(0.7 * room):
        log.info(
            "%d CpG columns hold %d of the world's %d informative CpGs; at least %d hold all",
            n_cpgs, int(0.7 * room), len(informative),
            math.ceil(len(informative) / 0.7 / (1 - _SEX_PROBE_SHARE)),
        )  # fmt: skip
        informative = np.sort(rng.choice(informative, int(0.7 * room), replace=False))
    background_pool = np.setdiff1d(world.autosomal_cpgs, informative)
    background = rng.choice(background_pool, room - len(informative), replace=False)
    sex_pool = np.flatnonzero((world.is_x | world.is_y) & (world.on("450k") | world.on("epic")))
    sex = rng.choice(sex_pool, n_sex, replace=False)
    return np.sort(np.concatenate([informative, background, sex]))


def _parse(argv: list[str] | None) -> _Args:
    parser = argparse.ArgumentParser(
        prog="python -m training.synthetic",
        description="Write the synthetic reference cohort, or one full-array profile as JSON.",
    )
    parser.add_argument("--out", type=Path, required=True, help="cohort directory, or JSON file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0, help="share of sheet rows per class")
    parser.add_argument("--n-cpgs", type=int, default=DEFAULT_N_CPGS)
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
            print(
                f"wrote {args.out}: {len(cohort)} samples x {cohort.betas.shape[1]} CpGs, "
                f"{cohort.samples['label'].nunique()} classes, {size:.1f} MB"
            )
    except ClassifierError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0
