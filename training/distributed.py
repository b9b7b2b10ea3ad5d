"""Where the outer folds of a nested cross-validation run: here, or on a Dask cluster.

The outer folds are independent fits, dispatched through joblib
(:func:`training.nested_cv.nested_cross_validate`). On one machine they run
in this process. A lab that outgrows one machine starts a Dask cluster
(``dask scheduler`` on one host, ``dask worker ADDRESS`` on each of the
others, every host with this project installed) and names the scheduler:
joblib's Dask backend then sends each outer fold to a worker, and the
results come back here for the evaluation and the final fit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from classifier.errors import ClassifierError

__all__ = ["outer_fold_backend"]


@contextlib.contextmanager
def outer_fold_backend(scheduler: str | None, connect_timeout: float = 20.0) -> Iterator[None]:
    """Run the enclosed joblib work on the Dask cluster at ``scheduler`` (None: locally).

    ``connect_timeout`` is how long (seconds) the scheduler may take to answer.

    Raises
    ------
    ClassifierError
        If Dask's distributed scheduler is not installed (``pip install
        '.[distributed]'``) or the scheduler cannot be reached.
    """
    if scheduler is None:
        yield
        return
    try:
        from dask.distributed import Client
    except ImportError:
        raise ClassifierError(
            "--dask-scheduler needs Dask's distributed scheduler: pip install '.[distributed]'",
            field="dask_scheduler",
        ) from None
    from joblib import parallel_config

    try:
        client = Client(scheduler, timeout=f"{connect_timeout}s")
    except OSError as exc:
        raise ClassifierError(
            f"cannot reach the Dask scheduler at {scheduler}: {exc}", field="dask_scheduler"
        ) from None
    try:
        with parallel_config(backend="dask"):
            yield
    finally:
        client.close()
