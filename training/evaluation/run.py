"""The assessment step of a training run: the hooks :func:`training.train.train` calls.

:func:`fold_probe` is the probe handed to the nested cross-validation;
:func:`run_assessment` runs the optional shift fits, then
:func:`~training.evaluation.assess.assess`, and times each part.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from classifier.assessment import Assessment
from classifier.estimator import MethylationClassifier
from training.cohort import Cohort
from training.config import TrainConfig
from training.evaluation.assess import assess
from training.evaluation.fold_probe import probe_fold
from training.evaluation.shift import (
    held_out_classes,
    leave_array_out,
    leave_classes_out,
    leave_sites_out,
)
from training.nested_cv import FoldProbeCallback, NestedCVResult

__all__ = ["fold_probe", "run_assessment"]


def fold_probe(labels: np.ndarray, seed: int) -> FoldProbeCallback:
    """The probe of every outer model (:func:`~training.evaluation.fold_probe.probe_fold`)."""
    return functools.partial(
        probe_fold, classes=np.unique(np.asarray(labels).astype(str)), seed=seed
    )


def run_assessment(
    template: MethylationClassifier,
    cohort: Cohort,
    result: NestedCVResult,
    model: MethylationClassifier,
    config: TrainConfig,
    say: Callable[[str], None],
) -> Assessment:
    """Shift fits as configured, then the assessment of ``result`` for the final ``model``."""
    seconds: dict[str, float] = {"fold_probes": round(sum(p.seconds for p in result.probes), 1)}
    classes_out = None
    held = held_out_classes(result.classes, config.loco_every)
    if held and len(held) < len(result.classes) - 1:
        say(f"leave-classes-out fit without {len(held)} classes: {', '.join(held)}")
        classes_out = leave_classes_out(
            template, cohort.betas, cohort.labels, held, result.outer_folds, config.seed
        )
        seconds["leave_classes_out"] = round(classes_out.seconds, 1)
    shifts = None
    if config.leave_array_out:
        if "array_type" not in cohort.samples.columns:
            say("note: no array_type column: leave-array-out skipped")
        else:
            say("leave-array-out fits (450K -> EPIC, EPIC -> 450K)")
            start = time.perf_counter()
            shifts = leave_array_out(
                template,
                cohort.betas,
                cohort.labels,
                cohort.samples["array_type"].to_numpy(),
                result.classes,
            )
            seconds["leave_array_out"] = round(time.perf_counter() - start, 1)
    if config.leave_site_out_every:
        if "supplier" not in cohort.samples.columns:
            say("note: no supplier column: leave-sites-out skipped")
        else:
            say(f"leave-sites-out fit (every {config.leave_site_out_every}th supplier held out)")
            site_shift = leave_sites_out(
                template,
                cohort.betas,
                cohort.labels,
                cohort.samples["supplier"].to_numpy(),
                result.classes,
                every=config.leave_site_out_every,
            )
            if site_shift is None:
                say("note: too few profiles per class outside the held-out suppliers: skipped")
            else:
                shifts = [*(shifts or []), site_shift]
                seconds["leave_sites_out"] = round(site_shift.seconds, 1)
    start = time.perf_counter()
    assessment = assess(
        result,
        config.threshold,
        model,
        classes_out=classes_out,
        array_shifts=shifts,
        seed=config.seed,
    )
    seconds["assessment"] = round(time.perf_counter() - start, 1)
    say(
        "assessment: "
        + ", ".join(f"{name} {value:.0f} s" for name, value in seconds.items())
        + f"; QC: min coverage {assessment.qc.min_coverage:g}, "  # type: ignore[union-attr]
        f"OOD distance {assessment.qc.ood_distance:.3f}"  # type: ignore[union-attr]
    )
    return replace(assessment, seconds=seconds)
