"""The on-disk cohort format shared by training, the generator and the loaders.

A cohort is a directory holding

``betas.parquet``
    A samples x CpGs table of beta values (float32, NaN where a probe was not
    measured or failed). The first column, ``sample_id``, names the sample;
    every other column is a CpG probe id.
``samples.csv``
    One row per sample: ``sample_id`` and ``label`` (required); ``family``,
    ``array_type``, ``material``, ``purity``, ``diagnosis`` (optional) and any
    further columns the user keeps.

Rows of the two files are matched by ``sample_id``; both must hold the same
ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from classifier.errors import CohortFormatError

__all__ = ["OPTIONAL_SAMPLE_COLUMNS", "Cohort", "read_cohort", "write_cohort"]

BETAS_FILE = "betas.parquet"
SAMPLES_FILE = "samples.csv"
OPTIONAL_SAMPLE_COLUMNS = ("family", "array_type", "material", "purity", "diagnosis")


@dataclass
class Cohort:
    """Beta values and sample annotations of a reference cohort.

    Attributes
    ----------
    betas : pandas.DataFrame
        Samples x CpGs, float32, indexed by sample id, columns are probe ids.
    samples : pandas.DataFrame
        Indexed by sample id in the same order as ``betas``; holds ``label``.
    """

    betas: pd.DataFrame
    samples: pd.DataFrame

    def __post_init__(self) -> None:
        if "label" not in self.samples.columns:
            raise CohortFormatError("samples table has no 'label' column", field="label")
        if not self.betas.index.equals(self.samples.index):
            raise CohortFormatError(
                "betas and samples must list the same sample ids in the same order",
                field="sample_id",
            )

    @property
    def labels(self) -> np.ndarray:
        """Class labels as a string array, in sample order."""
        return self.samples["label"].astype(str).to_numpy()

    def __len__(self) -> int:
        return len(self.samples)

    def sha256(self) -> str:
        """SHA-256 of the CpG ids, sample ids, labels and beta values: the data's fingerprint."""
        digest = hashlib.sha256()
        digest.update("\n".join(map(str, self.betas.columns)).encode())
        digest.update("\n".join(map(str, self.betas.index)).encode())
        digest.update("\n".join(self.labels).encode())
        values = self.betas.to_numpy(dtype=np.float32)
        # Row blocks, so that a full-width cohort is never copied whole.
        for start in range(0, len(values), 64):
            digest.update(np.ascontiguousarray(values[start : start + 64]).tobytes())
        return digest.hexdigest()


def _read_betas(path: Path) -> pd.DataFrame:
    """Read ``betas.parquet`` into one float32 block, a column batch at a time.

    pandas' own reader holds the Arrow table and a consolidated copy at
    once (and more for a very wide table); filling a preallocated matrix
    from batches of columns keeps the peak near one matrix.
    """
    parquet = pq.ParquetFile(path)
    names = parquet.schema_arrow.names
    if "sample_id" not in names:
        raise CohortFormatError(f"{BETAS_FILE} has no 'sample_id' column", field="sample_id")
    cpgs = [name for name in names if name != "sample_id"]
    ids = parquet.read(columns=["sample_id"]).column(0).cast(pa.string()).to_pylist()
    values = np.empty((len(cpgs), len(ids)), dtype=np.float32)  # CpG-major: one block
    for start in range(0, len(cpgs), _READ_BATCH):
        batch = parquet.read(columns=cpgs[start : start + _READ_BATCH])
        for j, column in enumerate(batch.columns):
            values[start + j] = column.to_numpy().astype(np.float32, copy=False)
    # The transpose is a view: pandas keeps the CpG-major array as its block.
    betas = pd.DataFrame(values.T, index=pd.Index(ids, name="sample_id"), columns=cpgs, copy=False)
    return betas


#: Columns read from Parquet at once.
_READ_BATCH = 10_000


def write_cohort(cohort: Cohort, directory: str | Path) -> Path:
    """Write a cohort in the documented format.

    Parameters
    ----------
    cohort : Cohort
        What to write.
    directory : str or Path
        Created if missing; existing cohort files in it are replaced.

    Returns
    -------
    Path
        The directory written.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    betas = cohort.betas
    values = betas.to_numpy(dtype=np.float32)
    # Each column's array wraps the matrix's memory when its CpG is
    # contiguous (a CpG-major block, as read and imported): no second copy
    # of a full-width matrix.
    table = pa.table(
        {"sample_id": pa.array(betas.index.astype(str))}
        | {str(c): pa.array(values[:, j]) for j, c in enumerate(betas.columns)}
    )
    pq.write_table(table, out / BETAS_FILE, compression="zstd")
    samples = cohort.samples.copy()
    samples.index.name = "sample_id"
    samples.to_csv(out / SAMPLES_FILE)
    return out


def read_cohort(directory: str | Path, label_column: str = "label") -> Cohort:
    """Read a cohort directory.

    Parameters
    ----------
    directory : str or Path
        A directory with ``betas.parquet`` and ``samples.csv``.
    label_column : str, default="label"
        Column of ``samples.csv`` holding the class labels; it is exposed as
        ``label`` on the returned cohort.

    Returns
    -------
    Cohort

    Raises
    ------
    CohortFormatError
        If a file is missing, the label column is absent or empty, or the
        sample ids of the two files differ (the counts are reported).
    """
    root = Path(directory)
    if not root.is_dir():
        what = "is a file, not a cohort directory" if root.exists() else "does not exist"
        raise CohortFormatError(
            f"cohort directory {root} {what}; a cohort is a directory with {BETAS_FILE} and "
            f"{SAMPLES_FILE} (python -m training.import_cohort writes one)",
            field="cohort",
        )
    for name in (BETAS_FILE, SAMPLES_FILE):
        if not (root / name).is_file():
            raise CohortFormatError(f"cohort directory {root} has no {name}", field=name)
    samples = pd.read_csv(root / SAMPLES_FILE, dtype={"sample_id": str})
    if "sample_id" not in samples.columns:
        raise CohortFormatError(f"{SAMPLES_FILE} has no 'sample_id' column", field="sample_id")
    if label_column not in samples.columns:
        raise CohortFormatError(
            f"{SAMPLES_FILE} has no label column {label_column!r}; "
            f"columns are {list(samples.columns)}",
            field="label_column",
        )
    if samples["sample_id"].duplicated().any():
        dup = samples.loc[samples["sample_id"].duplicated(), "sample_id"].iloc[0]
        raise CohortFormatError(f"{SAMPLES_FILE} repeats sample_id {dup!r}", field="sample_id")
    samples = samples.set_index("sample_id")
    if label_column != "label":
        samples = samples.drop(columns=["label"], errors="ignore").rename(
            columns={label_column: "label"}
        )
    missing_label = samples["label"].isna()
    if missing_label.any():
        raise CohortFormatError(
            f"{int(missing_label.sum())} samples have no value in label column {label_column!r}",
            field="label_column",
        )
    samples["label"] = samples["label"].astype(str)

    betas = _read_betas(root / BETAS_FILE)

    only_betas = betas.index.difference(samples.index)
    only_samples = samples.index.difference(betas.index)
    if len(only_betas) or len(only_samples):
        raise CohortFormatError(
            f"sample ids differ between {BETAS_FILE} and {SAMPLES_FILE}: "
            f"{len(only_betas)} only in betas (e.g. {list(only_betas[:3])}), "
            f"{len(only_samples)} only in samples (e.g. {list(only_samples[:3])})",
            field="sample_id",
        )
    return Cohort(betas=betas, samples=samples.loc[betas.index])
