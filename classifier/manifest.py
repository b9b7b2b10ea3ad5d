"""The probe manifest: which probes each array has, where they are, which to drop.

The manifest defines the feature space. It is derived from public
annotations by ``scripts/build_manifest.py`` and shipped with the package
(``classifier/data/probe_manifest.parquet`` and ``epicv2_probe_ids.parquet``;
provenance and licences in ``classifier/data/NOTICE.md``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from importlib.resources import as_file, files

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from classifier.errors import ClassifierError
from classifier.probes import ArrayType, cg_numbers

__all__ = [
    "CHROMOSOMES",
    "DEFAULT_FILTERS",
    "FILTERS",
    "REFERENCE_FILTERS",
    "ProbeManifest",
    "load_manifest",
]

#: Categories of the ``chrom`` column, in karyotype order.
CHROMOSOMES: tuple[str, ...] = (*(str(i) for i in range(1, 23)), "X", "Y", "M")

#: Probe filters: name -> what the filter removes and where the list comes from.
FILTERS: dict[str, str] = {
    "snp": "SNP-affected probes: the mnp_training SNP list and the polymorphic probes "
    "of Zhou et al. 2016 (via methylcheck)",
    "snp_mnp": "SNP-affected probes of the mnp_training list only (7,998; the filter of "
    "the Heidelberg reference method)",
    "snp_broad": "'snp' plus every methylcheck polymorphic-probe list (Chen 2013, Price "
    "2013, Naeem 2014, Daca-Roszak 2015, McCartney 2016); two thirds of the 450K",
    "cross_reactive": "Cross-reactive probes: Chen et al. 2013 (450K) and McCartney et al. "
    "2016 (EPIC) via methylcheck, and the EPICv2 CH_BLAT flag of Peters et al. 2024",
    "cross_reactive_broad": "'cross_reactive' plus the cross-hybridisation lists of Price "
    "2013, Naeem 2014 and Zhou 2016 (methylcheck)",
    "xy": "Sex-chromosome probes: the mnp_training X/Y list, the methylcheck sex-probe "
    "lists and every probe that any source places on X or Y",
    "ambiguous": "Probes with ambiguous genomic mapping (mnp_training list)",
    "non_cpg": "Probes not targeting a CpG site: ch. (non-CpG), rs (SNP), nv (variant) ids",
    "epic_missing_450k": "450K probes absent from the EPIC array (mnp_training epicV1B2 list)",
}

#: Filters applied before training unless a run says otherwise.
DEFAULT_FILTERS: tuple[str, ...] = ("snp", "cross_reactive", "xy", "ambiguous", "non_cpg")

#: The preprocessing of the Heidelberg classifiers (Capper 2018, Koelsche
#: 2021); it leaves 428,798 of the 485,577 450K probes (the papers: 428,799).
REFERENCE_FILTERS: tuple[str, ...] = (
    "snp_mnp",
    "ambiguous",
    "xy",
    "non_cpg",
    "epic_missing_450k",
)

_DATA = "data"
_TABLE_FILE = "probe_manifest.parquet"
_EPICV2_FILE = "epicv2_probe_ids.parquet"


@dataclass(frozen=True)
class ProbeManifest:
    """Every probe of the 450K, EPIC v1 and EPICv2 arrays, by base probe id.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by base probe id (``str``, sorted), one row per CpG or other
        probe target. Columns:

        - ``chrom``: categorical ``"1"``..``"22"``, ``"X"``, ``"Y"``, ``"M"``:
          hg38 (450K annotation, then EPICv2 manifest), else the EPIC v1 map.
          NA for 6,359 EPICv2-only probes that the EPICv2 manifest leaves
          without a position and for 2 450K probes unmapped on hg38.
        - ``pos``: ``Int64``, 1-based hg38 position of the CpG's C on the +
          strand. Only the 450K annotation has positions, so EPIC- and
          EPICv2-only probes are NA, as are 450K probes on alt contigs.
        - ``design``: categorical ``"I"``/``"II"``: 450K annotation, else the
          EPICv2 suffix; NA for EPIC v1-only probes.
        - ``cgi``: nullable boolean, True for island, shore and shelf CpGs (within
          4 kb of a UCSC island; Illumina's manifest via ChAMPdata), False
          for open sea; 450K probes only. It does not tell island from
          shore or shelf.
        - ``on_450k``, ``on_epic``, ``on_epicv2``: array membership.
        - one boolean column per filter of :data:`FILTERS`.
    epicv2_probe_ids : numpy.ndarray of str
        The suffixed EPICv2 ids in canonical order (see
        :meth:`array_probe_ids`).
    """

    table: pd.DataFrame
    epicv2_probe_ids: np.ndarray

    @property
    def filter_names(self) -> tuple[str, ...]:
        """Names of the filters this manifest has columns for."""
        return tuple(name for name in FILTERS if name in self.table.columns)

    def array_probe_ids(self, array: ArrayType | str) -> np.ndarray:
        """Return the canonical ordered raw probe ids of an array.

        This order defines the service's manifest-aligned input (values in
        manifest order, no ids); it is deterministic and only changes with
        the manifest files.

        - 450K (485,577 ids) and EPIC (866,895 ids, the B2 content): base ids
          sorted by code point (``"cg…" < "ch…" < "rs…"``), as in the
          Illumina manifests.
        - EPICv2 (936,166 ids): the suffixed ids in the order of the Peters
          et al. 2024 manifest, which is also code-point sorted.

        Returns
        -------
        numpy.ndarray of str (object dtype)
            Read-only; copy before modifying.
        """
        return self._array_ids[ArrayType.parse(array)]

    def probes_on(self, array: ArrayType | str) -> pd.Index:
        """Return the base ids of the probes on an array, sorted."""
        column = f"on_{ArrayType.parse(array).value}"
        return self.table.index[self.table[column].to_numpy()]

    def excluded(self, filters: Iterable[str]) -> pd.Index:
        """Return the base ids that any of the named filters removes, sorted.

        Parameters
        ----------
        filters : iterable of str or str
            Names from :attr:`filter_names`, e.g. :data:`DEFAULT_FILTERS`.

        Raises
        ------
        ClassifierError
            With ``field="filters"`` for an unknown filter name.
        """
        names = [filters] if isinstance(filters, str) else list(filters)
        unknown = [name for name in names if name not in self.filter_names]
        if unknown:
            raise ClassifierError(
                f"unknown probe filter(s) {unknown}; expected some of {list(self.filter_names)}",
                field="filters",
            )
        mask = np.zeros(len(self.table), dtype=bool)
        for name in names:
            mask |= self.table[name].to_numpy()
        return self.table.index[mask]

    def positions(self, ids: pa.Array | Iterable[str]) -> np.ndarray:
        """Return the row of each base id in :attr:`table`, ``-1`` where absent.

        Vectorised through integer cg numbers: a million ids take well
        under a second.

        Parameters
        ----------
        ids : pyarrow.Array or iterable of str
            Base probe ids (suffixed ids are not in the table and give -1).

        Returns
        -------
        numpy.ndarray of intp
        """
        if isinstance(ids, pa.ChunkedArray):
            ids = ids.combine_chunks()
        if not isinstance(ids, pa.Array):
            listed = ids if isinstance(ids, np.ndarray | pd.Index | pd.Series | list) else list(ids)
            ids = pa.array(listed, type=pa.string())
        numbers = cg_numbers(ids)
        cg_sorted, cg_rows, others = self._lookup
        out = np.full(len(numbers), -1, dtype=np.intp)
        is_cg = numbers >= 0
        wanted = numbers[is_cg]
        at = np.minimum(np.searchsorted(cg_sorted, wanted), len(cg_sorted) - 1)
        out[is_cg] = np.where(cg_sorted[at] == wanted, cg_rows[at], -1)
        if not is_cg.all():
            rest = np.flatnonzero(~is_cg)
            found = others.index.get_indexer(
                ids.take(pa.array(rest)).to_numpy(zero_copy_only=False)
            )
            out[rest] = np.where(found >= 0, others.to_numpy()[np.maximum(found, 0)], -1)
        return out

    @cached_property
    def _lookup(self) -> tuple[np.ndarray, np.ndarray, pd.Series]:
        numbers = cg_numbers(pa.array(self.table.index.array, type=pa.string()))
        cg_rows = np.flatnonzero(numbers >= 0)
        order = np.argsort(numbers[cg_rows], kind="stable")
        other_rows = np.flatnonzero(numbers < 0)
        others = pd.Series(other_rows, index=self.table.index[other_rows])
        return numbers[cg_rows][order], cg_rows[order], others

    @cached_property
    def _array_ids(self) -> dict[ArrayType, np.ndarray]:
        ids = {
            array: self.probes_on(array).to_numpy(dtype=object)
            for array in (ArrayType.HM450, ArrayType.EPIC)
        }
        ids[ArrayType.EPICV2] = np.asarray(self.epicv2_probe_ids, dtype=object).copy()
        for values in ids.values():
            values.flags.writeable = False
        return ids


@functools.cache
def load_manifest() -> ProbeManifest:
    """Load the packaged probe manifest (cached: every call returns the same object).

    Returns
    -------
    ProbeManifest
    """
    data = files("classifier") / _DATA
    with as_file(data / _TABLE_FILE) as path:
        table = pq.read_table(path)
    with as_file(data / _EPICV2_FILE) as path:
        epicv2 = pq.read_table(path).column("probe_id")
    return ProbeManifest(table=_to_frame(table), epicv2_probe_ids=epicv2.to_numpy())


def _to_frame(table: pa.Table) -> pd.DataFrame:
    columns: dict[str, object] = {}
    for name in table.column_names:
        column = table.column(name)
        if name in ("chrom", "design"):
            categories = CHROMOSOMES if name == "chrom" else ("I", "II")
            # Recode by value: the dictionary read back need not keep our order.
            columns[name] = pd.Categorical(column.to_pandas(), categories=list(categories))
        elif name == "pos":
            columns[name] = pd.array(column.to_pandas(), dtype="Int64")
        elif name == "cgi":
            columns[name] = pd.array(column.to_pandas(), dtype="boolean")
        elif name != "probe_id":
            columns[name] = column.to_numpy()
    index = pd.Index(table.column("probe_id").to_pandas(), name="probe_id")
    return pd.DataFrame(columns, index=index)
