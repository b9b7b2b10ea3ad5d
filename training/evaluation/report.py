"""The evaluation report: a Markdown page and its figures, drawn from ``metrics.json``.

Everything shown is read from a bundle's
:class:`~classifier.model_metrics.ModelMetrics` (its ``evaluation`` and
``assessment`` sections), so the report says exactly what the bundle
records; :mod:`training.evaluation_report` is the command that makes it.
Figures are built without pyplot (see :mod:`training.figures`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from classifier.assessment import Assessment, GroupFigures
from classifier.model_metrics import ModelMetrics

__all__ = ["assessment_figures", "write_report"]


def assessment_figures(assessment: Assessment) -> dict[str, Figure]:
    """The report's figures by file stem (also logged to MLflow under ``figures/``)."""
    figures = {
        "per_class_sensitivity": _sensitivity_figure(assessment),
        "robustness_missing": _curve_figure(
            assessment, "missing_random", "share of the model's CpGs measured", numeric=True
        ),
    }
    if assessment.curve("purity"):
        figures["robustness_purity"] = _curve_figure(
            assessment, "purity", "tumour purity (cohort annotation)", numeric=False
        )
    if assessment.conformal is not None:
        figures["conformal_per_class"] = _conformal_figure(assessment)
    return figures


def write_report(metrics: ModelMetrics, out: Path, commands: dict[str, str]) -> Path:
    """Write ``report.md`` and its figures (PNG) to ``out``; return the page's path.

    Parameters
    ----------
    metrics : ModelMetrics
        Read from the bundle; needs ``evaluation`` and ``assessment``.
    out : Path
        Directory, created if missing.
    commands : dict
        ``"train"``: the command that trained the bundle; ``"report"``: the
        command that drew this report. Both are printed under every figure.
    """
    if metrics.evaluation is None or metrics.assessment is None:
        raise ValueError(
            "the bundle has no nested cross-validation assessment: train it with "
            "--outer-folds >= 2 (the default)"
        )
    out.mkdir(parents=True, exist_ok=True)
    a = metrics.assessment
    made_by = f"Made by `{commands['report']}` from the bundle trained by `{commands['train']}`."
    lines = [
        "# Evaluation report",
        "",
        made_by,
        "",
        "Every figure below comes from the bundle's `metrics.json` (nested cross-validation: "
        "each outer model scored only samples it never saw). Synthetic cohorts make an easier "
        "task than real arrays: read the figures as what this pipeline does on this cohort, "
        "not as clinical performance.",
        "",
    ]
    lines += _summary_section(metrics)
    figures = assessment_figures(a)
    for stem, fig in figures.items():
        fig.savefig(out / f"{stem}.png", dpi=110)
    lines += _per_class_section(a, made_by)
    lines += _conformal_section(a, made_by)
    lines += _ood_section(a)
    lines += _robustness_section(a, made_by)
    lines += _neighbour_section(a)
    lines += _qc_section(a)
    page = out / "report.md"
    page.write_text("\n".join(lines) + "\n")
    return page


# ------------------------------------------------------------------ sections


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ci(interval) -> str:
    lo, hi = interval
    return "n/a" if lo is None else f"{lo:.2f}-{hi:.2f}"


def _summary_section(metrics: ModelMetrics) -> list[str]:
    e = metrics.evaluation
    assert e is not None
    lines = [
        "## Summary (outer folds)",
        "",
        f"{e.outer_folds} outer x {e.inner_folds} inner folds.",
        "",
        "| scores | accuracy | balanced accuracy | Brier | log loss | ECE | classified "
        "at threshold | accuracy of those |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in e.reports.items():
        lines.append(
            f"| {name} | {_fmt(r.accuracy)} | {_fmt(r.balanced_accuracy)} | {_fmt(r.brier)} | "
            f"{_fmt(r.log_loss)} | {_fmt(r.ece)} | {_fmt(r.classified_fraction)} | "
            f"{_fmt(r.classified_accuracy)} |"
        )
    return [*lines, ""]


def _per_class_section(a: Assessment, made_by: str) -> list[str]:
    lines = [
        "## Per class",
        "",
        f"Sensitivity with its 95 % Wilson interval; precision; mean top score of the class's "
        f"calls (calibration: compare with precision); share of its samples called `match` "
        f"(score >= {a.threshold:g}); error rate among the `match` calls naming it.",
        "",
        "![per-class sensitivity](per_class_sensitivity.png)",
        "",
        made_by,
        "",
        "| class | n | sensitivity | 95 % CI | precision | mean score of calls | "
        "classified | matched calls | matched error | 95 % CI |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in a.per_class:
        lines.append(
            f"| {c.label} | {c.support} | {_fmt(c.sensitivity)} | {_ci(c.sensitivity_ci)} | "
            f"{_fmt(c.precision)} | {_fmt(c.mean_called_score)} | "
            f"{_fmt(c.classified_fraction)} | {c.matched_calls} | {_fmt(c.matched_error)} | "
            f"{_ci(c.matched_error_ci)} |"
        )
    return [*lines, ""]


def _conformal_section(a: Assessment, made_by: str) -> list[str]:
    c = a.conformal
    if c is None:
        return []
    small = ", ".join(c.classes_without_guarantee) or "none"
    return [
        "## Prediction sets",
        "",
        f"Target coverage {1 - c.alpha:.0%}. Measured construction: {c.construction}.",
        "",
        f"- marginal coverage **{_fmt(c.coverage)}** (95 % CI {_ci(c.coverage_ci)}), "
        f"mean set size {_fmt(c.mean_set_size, 2)} classes;",
        f"- the previous construction (inner-CV quantile applied to the outer model): "
        f"coverage {_fmt(c.previous_coverage)}, mean set size "
        f"{_fmt(c.previous_mean_set_size, 2)};",
        f"- served model: quantile {_fmt(c.served_quantile, 4)}, {c.served_basis};",
        f"- a per-class guarantee needs at least {c.min_class_size} calibration samples of the "
        f"class; these classes have fewer in the whole cohort, so their per-class coverage "
        f"is not guaranteed (only measured): {small}.",
        "",
        "![coverage per class](conformal_per_class.png)",
        "",
        made_by,
        "",
    ]


def _ood_section(a: Assessment) -> list[str]:
    o = a.ood
    if o is None:
        return []
    lines = [
        "## Out of distribution",
        "",
        f"- in-distribution outer-fold profiles flagged at the served cut: "
        f"{_fmt(o.in_distribution_fpr)} of {o.in_distribution_n} (the cut is their 99th "
        "percentile, so about 0.01 by construction); at the previous rule (the model's "
        f"in-sample 99th percentile, ratio 1): {_fmt(o.previous_rule_fpr)};",
    ]
    if o.design is None:
        lines.append("- leave-classes-out: not run (`--loco-every 0`).")
    else:
        lines += [
            f"- leave-classes-out: {o.design}; held out: {', '.join(o.held_out_classes)} "
            f"({o.novel_n} profiles, {_fmt(o.fit_seconds, 0)} s);",
            f"- AUROC of the OOD distance, unseen classes against in-distribution: "
            f"**{_fmt(o.auroc)}**;",
            f"- unseen-class profiles flagged OOD: {_fmt(o.novel_flagged)}; still called "
            f"`match` (a confident wrong class): **{_fmt(o.novel_match)}**; called `match` "
            f"and not flagged: {_fmt(o.novel_match_unflagged)}.",
        ]
    return [*lines, ""]


def _robustness_section(a: Assessment, made_by: str) -> list[str]:
    lines = ["## Robustness", ""]
    titles = {
        "missing_random": "Missing CpGs at random (share measured)",
        "missing_array": "Missing CpGs as an array lacks them (the array's probes only)",
        "purity": "Purity (cohort annotation)",
        "material": "Material",
        "array_type": "Array of the profile",
        "leave_array_out": "Leave array out",
        "leave_site_out": "Leave sites out (laboratory batches the model never saw)",
    }
    pictures = {"missing_random": "robustness_missing.png", "purity": "robustness_purity.png"}
    for kind, title in titles.items():
        points = a.curve(kind)
        if not points:
            continue
        lines += [f"### {title}", ""]
        if kind in pictures:
            lines += [f"![{title}]({pictures[kind]})", "", made_by, ""]
        lines += [
            "| level | n | share measured | accuracy | ECE | Brier | classified | matched "
            "error | 95 % CI | OOD flagged |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for p in points:
            f = p.figures
            lines.append(
                f"| {p.level} | {f.n} | {_fmt(f.share_measured)} | {_fmt(f.accuracy)} | "
                f"{_fmt(f.ece)} | {_fmt(f.brier)} | {_fmt(f.classified_fraction)} | "
                f"{_fmt(f.matched_error)} | {_ci(f.matched_error_ci)} | {_fmt(f.ood_flagged)} |"
            )
        lines.append("")
    return lines


def _neighbour_section(a: Assessment) -> list[str]:
    n = a.neighbours
    if n is None:
        return []
    return [
        "## Reference map and neighbours",
        "",
        f"- outer-fold profiles: mean share of their {n.k} nearest training samples (in the "
        f"reference space where a case is placed on the map) of their own class "
        f"**{_fmt(n.outer_knn_share)}**; nearest one of their class {_fmt(n.outer_nearest_same)};",
        f"- final map ({n.map_method}), leave-one-out share of each reference sample's {n.k} "
        f"nearest map neighbours of its class: {_fmt(n.map_knn_share)}; on the first two "
        f"principal components (the previous map): {_fmt(n.pca_map_knn_share)}.",
        "",
    ]


def _qc_section(a: Assessment) -> list[str]:
    q = a.qc
    if q is None:
        return []
    return [
        "## QC thresholds (stored in the bundle)",
        "",
        f"- minimum coverage **{q.min_coverage:g}**: {q.min_coverage_rule}. Evidence: "
        f"{q.min_coverage_evidence}.",
        f"- OOD distance **{q.ood_distance:.4f}** (ratio {q.ood_ratio:.3f}): {q.ood_rule}. "
        f"Evidence: {q.ood_evidence}.",
        "",
    ]


# ------------------------------------------------------------------- figures


def _sensitivity_figure(a: Assessment) -> Figure:
    rows = [c for c in a.per_class if c.sensitivity is not None]
    fig = Figure(figsize=(7, max(3.0, 0.18 * len(rows) + 1)), layout="tight")
    ax = fig.subplots()
    y = np.arange(len(rows))[::-1]
    sens = np.array([c.sensitivity for c in rows], dtype=float)
    lo = np.array([c.sensitivity_ci[0] for c in rows], dtype=float)
    hi = np.array([c.sensitivity_ci[1] for c in rows], dtype=float)
    colours = ["#D55E00" if c.label == "DSRCT" else "#0072B2" for c in rows]
    # Clipped: rounding can put an interval's end a hair inside its estimate.
    xerr = [np.clip(sens - lo, 0, None), np.clip(hi - sens, 0, None)]
    ax.errorbar(sens, y, xerr=xerr, fmt="none", ecolor="grey", lw=1)
    ax.scatter(sens, y, c=colours, s=14, zorder=3)
    ax.set_yticks(y, [f"{c.label} (n={c.support})" for c in rows], fontsize=6)
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("sensitivity, outer folds (95 % Wilson interval)")
    return fig


def _curve_figure(a: Assessment, kind: str, xlabel: str, *, numeric: bool) -> Figure:
    points = a.curve(kind)
    fig = Figure(figsize=(6, 4), layout="tight")
    ax = fig.subplots()
    xs = [float(p.level) for p in points] if numeric else list(range(len(points)))

    def series(get) -> np.ndarray:
        return np.array([np.nan if get(p.figures) is None else get(p.figures) for p in points])

    def accuracy(f: GroupFigures):
        return f.accuracy

    def ece(f: GroupFigures):
        return f.ece

    def matched(f: GroupFigures):
        return f.matched_error

    def classified(f: GroupFigures):
        return f.classified_fraction

    for get, label in (
        (accuracy, "accuracy"),
        (classified, "classified at threshold"),
        (matched, "error among matched calls"),
        (ece, "ECE"),
    ):
        ax.plot(xs, series(get), marker="o", ms=3, label=label)
    if not numeric:
        ax.set_xticks(xs, [p.level for p in points])
    if kind == "missing_random" and a.qc is not None:
        ax.axvline(a.qc.min_coverage, color="grey", ls=":", label="chosen minimum coverage")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=7)
    return fig


def _conformal_figure(a: Assessment) -> Figure:
    c = a.conformal
    assert c is not None
    fig = Figure(figsize=(6, 4), layout="tight")
    ax = fig.subplots()
    sizes = np.array([v[1] for v in c.per_class.values()], dtype=float)
    cover = np.array([np.nan if v[0] is None else v[0] for v in c.per_class.values()])
    ax.scatter(sizes, cover, s=12)
    ax.axhline(1 - c.alpha, color="grey", ls="--", label=f"target {1 - c.alpha:.0%}")
    ax.axvline(c.min_class_size, color="grey", ls=":", label="size for a per-class guarantee")
    ax.set_xscale("log")
    ax.set_xlabel("samples of the class")
    ax.set_ylabel("coverage of the class's samples")
    ax.legend(fontsize=7)
    return fig
