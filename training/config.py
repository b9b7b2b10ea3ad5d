"""The configuration of a training run, and the command line that gives it.

:class:`TrainConfig` is everything a run of :func:`training.train.train` is
told; :func:`parse_args` reads it from the options of
``python -m training.train`` (listed in :mod:`training.train`). A bad
option, or an ``--out`` that cannot take the bundle, is refused here, before
any data is read: argparse's ``error:`` line and exit status 2.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from classifier.batch_adjustment import BATCH_ADJUSTMENTS
from classifier.bundle import BUNDLE_FILE
from classifier.embedding import MAP_METHODS
from classifier.learners import DEFAULT_LEARNER, LEARNERS
from classifier.manifest import DEFAULT_FILTERS, FILTERS
from training.gates import DEFAULT_GATES
from training.out_paths import directory_problem

__all__ = ["DEFAULT_BUNDLE", "TrainConfig", "parse_args"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: The bundle ``make run`` serves, and the default ``--out``.
DEFAULT_BUNDLE = PROJECT_ROOT / "models" / "sarcoma-classifier"


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run is told; the options of :mod:`training.train`."""

    cohort: Path
    label_column: str = "label"
    model: str = DEFAULT_LEARNER
    outer_folds: int = 5
    inner_folds: int = 3
    seed: int = 0
    out: Path = DEFAULT_BUNDLE
    experiment: str = "sarcoma-classifier"
    register: str | None = None
    n_features: int = 10_000
    calibration: str = "ridge"
    threshold: float = 0.9
    gates: Path = DEFAULT_GATES
    filters: tuple[str, ...] = DEFAULT_FILTERS
    n_jobs: int = 2
    tracking: bool = True
    name: str = "sarcoma-classifier"
    batch_adjustment: str = "none"
    outer_jobs: int = 1
    dask_scheduler: str | None = None
    loco_every: int = 0
    leave_array_out: bool = False
    leave_site_out_every: int = 0
    reference_map: str = "tsne"


def parse_args(argv: list[str] | None) -> TrainConfig:
    """Read the options of ``python -m training.train`` into a :class:`TrainConfig`.

    Parameters
    ----------
    argv : list of str or None
        The arguments; None reads ``sys.argv``.

    Raises
    ------
    SystemExit
        With status 2 and an ``error:`` line on standard error, for a bad
        option or an ``--out`` that cannot take the bundle.
    """
    p = argparse.ArgumentParser(
        prog="python -m training.train",
        description="Train, evaluate by nested cross-validation, bundle, track and register "
        "a model.",
    )
    p.add_argument("--cohort", type=Path, required=True, help="cohort directory")
    p.add_argument("--label-column", default="label")
    p.add_argument(
        "--model", default=DEFAULT_LEARNER, choices=sorted(LEARNERS), help="base learner"
    )
    p.add_argument("--outer-folds", type=int, default=5, help="0 skips the nested evaluation")
    p.add_argument("--inner-folds", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_BUNDLE,
        help="bundle directory (default: models/sarcoma-classifier, the model the service "
        "serves); a bundle already there is replaced only with --replace",
    )
    p.add_argument("--replace", action="store_true", help="overwrite the bundle already in --out")
    p.add_argument("--experiment", default="sarcoma-classifier")
    p.add_argument(
        "--register",
        type=_model_name,
        default=None,
        metavar="NAME",
        help="register in the MLflow Model Registry under NAME",
    )
    p.add_argument("--n-features", type=int, default=10_000)
    p.add_argument("--calibration", default="ridge", choices=["ridge", "temperature", "none"])
    p.add_argument("--threshold", type=float, default=0.9)
    p.add_argument("--gates", type=Path, default=DEFAULT_GATES)
    p.add_argument(
        "--filters",
        type=_filter_names,
        default=DEFAULT_FILTERS,
        help=f"comma-separated probe filters, or 'none' (default: {','.join(DEFAULT_FILTERS)}; "
        f"known: {','.join(FILTERS)})",
    )
    p.add_argument(
        "--n-jobs",
        type=int,
        default=2,
        help="training threads of the base learner, or -1 for all cores (default: 2)",
    )
    p.add_argument("--no-tracking", action="store_true", help="do not log to MLflow")
    p.add_argument(
        "--batch-adjustment",
        default="none",
        choices=sorted(BATCH_ADJUSTMENTS),
        help="FFPE/frozen adjustment fitted inside every fit (default: none)",
    )
    p.add_argument(
        "--outer-jobs", type=int, default=1, help="outer folds fitted at once (default: 1)"
    )
    p.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="fit the outer folds on this Dask cluster (e.g. tcp://10.0.0.5:8786)",
    )
    p.add_argument(
        "--loco-every",
        type=int,
        default=0,
        metavar="K",
        help="leave-classes-out check: one extra fit without every K-th class in sorted "
        "order (make report uses 8; default 0: skipped, it costs about one outer fold)",
    )
    p.add_argument(
        "--leave-array-out",
        action="store_true",
        help="also train on 450K profiles and test on EPIC ones, and back (two extra fits)",
    )
    p.add_argument(
        "--leave-site-out-every",
        type=int,
        default=0,
        metavar="K",
        help="leave-sites-out check: one extra fit without every K-th supplier (samples.csv "
        "column 'supplier') in sorted order (make report uses 5; default 0: skipped)",
    )
    p.add_argument(
        "--reference-map",
        default="tsne",
        choices=sorted(MAP_METHODS),
        help="the case page's reference map (default: tsne)",
    )
    a = p.parse_args(argv)
    if a.outer_folds == 1 or a.outer_folds < 0:
        p.error("--outer-folds must be 0 (no evaluation) or at least 2")
    if a.inner_folds < 2:
        p.error("--inner-folds must be at least 2")
    if not 0 < a.threshold <= 1:
        p.error("--threshold must be in (0, 1]")
    if a.n_features < 1:
        p.error("--n-features must be positive")
    if a.n_jobs == 0 or a.n_jobs < -1:
        p.error(
            f"--n-jobs must be a positive number of threads, or -1 for all cores; got {a.n_jobs}"
        )
    if a.outer_jobs < 1:
        p.error(f"--outer-jobs must be at least 1, got {a.outer_jobs}")
    if a.loco_every < 0 or a.loco_every == 1:
        p.error("--loco-every must be 0 (skip) or at least 2 (every K-th class left out)")
    if a.leave_site_out_every < 0 or a.leave_site_out_every == 1:
        p.error(
            "--leave-site-out-every must be 0 (skip) or at least 2 (every K-th supplier left out)"
        )
    if a.no_tracking and a.register is not None:
        p.error("--register needs MLflow tracking: drop --no-tracking, or drop --register")
    if problem := _out_problem(a.out, a.replace):
        p.error(problem)
    return TrainConfig(
        cohort=a.cohort, label_column=a.label_column, model=a.model,
        outer_folds=a.outer_folds, inner_folds=a.inner_folds, seed=a.seed, out=a.out,
        experiment=a.experiment, register=a.register, n_features=a.n_features,
        calibration=a.calibration, threshold=a.threshold, gates=a.gates,
        filters=a.filters, n_jobs=a.n_jobs, tracking=not a.no_tracking,
        batch_adjustment=a.batch_adjustment, outer_jobs=a.outer_jobs,
        dask_scheduler=a.dask_scheduler,
        loco_every=a.loco_every, leave_array_out=a.leave_array_out,
        leave_site_out_every=a.leave_site_out_every,
        reference_map=a.reference_map,
    )  # fmt: skip


def _filter_names(text: str) -> tuple[str, ...]:
    """Parse ``--filters``: comma-separated names of :data:`classifier.manifest.FILTERS`."""
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if names == ("none",):
        return ()
    if "none" in names:
        raise argparse.ArgumentTypeError(f"'none' cannot be combined with filter names: {text!r}")
    unknown = [name for name in names if name not in FILTERS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown probe filter(s) {unknown or [text]}; expected comma-separated names "
            f"from {list(FILTERS)}, or 'none'"
        )
    return names


def _model_name(text: str) -> str:
    """Parse ``--register``: a name the MLflow Model Registry accepts.

    MLflow checks the name only when the model is registered, after the
    whole training, leaving a failed run and an overwritten bundle; its own
    check is run here instead, so that the rule stays that of the installed
    MLflow.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError("the registered model name must not be empty")
    from mlflow.exceptions import MlflowException

    # Private, but it is the check every MLflow registry store runs on a new name.
    from mlflow.utils.validation import _validate_model_name

    try:
        _validate_model_name(text)
    except MlflowException as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a name the MLflow Model Registry accepts: {exc.message}"
        ) from None
    return text


def _out_problem(out: Path, replace: bool = False) -> str | None:
    """Why the bundle cannot be written to ``out``, or None if it can.

    The directory and its missing parents are created only when the bundle
    is written, after the training; a file in the way is found now instead.
    A bundle already there is replaced only when asked (``replace``): the
    default ``--out`` is the model the service serves, and a retraining on
    another cohort, or one that fails its gates, must not take its place
    unseen.
    """
    if (out / BUNDLE_FILE).is_file() and not replace:
        default = out.resolve() == DEFAULT_BUNDLE.resolve()
        served = " (the default model, which `make run` serves)" if default else ""
        return (
            f"--out {out} holds a model bundle already{served}: give another --out "
            "for this model, or add --replace to overwrite it"
        )
    return directory_problem(out, "the bundle")
