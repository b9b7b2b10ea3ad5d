"""Reading what users have into a cohort: a beta matrix with a sample sheet, or a GEO series matrix.

The package's surface is what :mod:`training.import_cohort` needs: the two
entry points, :func:`load_matrix_cohort` and :func:`load_series_matrix_cohort`
(each returns a :class:`~training.cohort.Cohort` and an :class:`ImportReport`),
the sample-sheet reader they share, and the default detection p-value
threshold. Inside, :mod:`training.loaders.cohort_sources` holds the entry
points; :mod:`training.loaders.beta_matrix` reads a matrix in either
orientation, :mod:`training.loaders.geo` a GEO series matrix,
:mod:`training.loaders.cell_values` the cells of either, and
:mod:`training.loaders.file_io` the files themselves (delimiters,
compression, Parquet).
"""

from training.loaders.beta_matrix import DEFAULT_DETECTION_PVALUE_THRESHOLD
from training.loaders.cohort_sources import (
    ImportReport,
    load_matrix_cohort,
    load_series_matrix_cohort,
    read_sample_sheet,
)

__all__ = [
    "DEFAULT_DETECTION_PVALUE_THRESHOLD",
    "ImportReport",
    "load_matrix_cohort",
    "load_series_matrix_cohort",
    "read_sample_sheet",
]
