"""Reading what users have into a cohort: a beta matrix with a sample sheet, or a GEO series matrix.

:mod:`training.loaders.cohort_sources` holds the two entry points;
:mod:`training.loaders.beta_matrix` reads a matrix in either orientation,
:mod:`training.loaders.geo` a GEO series matrix, :mod:`training.loaders.cell_values`
the cells of either, and :mod:`training.loaders.file_io` the files themselves
(delimiters, compression, Parquet).
"""

from training.loaders.cohort_sources import (
    ImportReport,
    load_matrix_cohort,
    load_series_matrix_cohort,
    read_sample_sheet,
)

__all__ = ["ImportReport", "load_matrix_cohort", "load_series_matrix_cohort", "read_sample_sheet"]
