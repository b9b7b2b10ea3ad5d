"""What the case page shows: a stored result read together with the model that made it.

The figures that need the model itself (the accuracy observed in nested
cross-validation, the reference cohort's map, the training data
fingerprint) come from the served model only when it is the model that made
the result; otherwise the page says that they are not available.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
from markupsafe import Markup

from api.served_model.loader import ServedModel, public_source
from api.store import StoredResult, reportable_classes
from api.ui.charts import (
    OTHER_COLOUR,
    Bar,
    MapPoint,
    class_colours,
    reliability_chart,
    scatter_map,
    score_bars,
)
from classifier.metrics import ClassificationReport, ReliabilityCurve
from classifier.model_metrics import ModelMetrics
from classifier.reclassification import Verdict
from classifier.score_text import score_text

__all__ = ["DECISION_TEXT", "case_context", "score_meaning"]

#: The decision in words, for a pathologist.
DECISION_TEXT = {
    "match": "Match: the top class reaches the threshold, so the methylation profile "
    "supports this class.",
    "family_match": "Family match: no single class reaches the threshold, but the classes "
    "of one family together do. The profile supports the family, not a specific class.",
    "no_match": "No match: neither a class nor a family reaches the threshold. The "
    "methylation profile does not classify this tumour; rely on the other evidence.",
}
_MAX_MAP_POINTS = 4000
# Classes coloured on the map (the called class and its nearest neighbours).
_MAP_CLASSES = 8
_OTHER_CLASSES = "other classes"
_FAMILY_BARS = 5


def case_context(stored: StoredResult, model: ServedModel | None) -> dict[str, Any]:
    """Everything the case template needs.

    Parameters
    ----------
    stored : StoredResult
    model : ServedModel or None
        The served model; used only if it made this result.
    """
    result = stored.result
    call = result["classification"]
    threshold = float(call["threshold"])
    own = model if _made_by(model, stored) else None
    family_names = own.family_names if own is not None else {}
    families = sorted(call["family_scores"].items(), key=lambda kv: -kv[1])[:_FAMILY_BARS]
    return {
        "stored": stored,
        "result": result,
        "call": call,
        "qc": result["qc"],
        "reclass": result["reclassification"],
        "review": result.get("review"),
        "fusion": result["fusion_consistency"],
        "attention": stored.attention,
        # The service's reasons, still shown once a reviewer has signed the result off.
        "flagged": stored.flags,
        "decision_text": DECISION_TEXT.get(call["decision"], call["decision"]),
        "score_chart": score_bars(
            [
                Bar(c["name"], float(c["score"]), f"{c['name']} ({c['code']})")
                for c in call["top_classes"]
            ],
            threshold,
            testid="class-scores-chart",
            caption="Calibrated scores of the top classes",
        ),
        "family_chart": score_bars(
            [Bar(family_names.get(code, code), float(score), code) for code, score in families],
            threshold,
            testid="family-scores-chart",
            caption="Family scores (sum of the family's class scores)",
            label_width=170,
            plot_width=260,
        ),
        "meaning": score_meaning(
            own.bundle.metrics if own else None, float(call["score"]), threshold
        ),
        "map": _map(own, call),
        "provenance": _provenance(stored, own),
        "model_loaded": own is not None,
        "class_choices": _class_choices(call),
        "verdicts": [v.value for v in Verdict],
    }


def _class_choices(call: dict[str, Any]) -> list[tuple[str, str]]:
    """The classes a reviewer may report, by score, as (code, label) for the form."""
    return [
        (code, f"{name} ({code}), {score_text(call['scores'][code], 3)}")
        for code, name in reportable_classes(call).items()
    ]


def score_meaning(metrics: ModelMetrics | None, score: float, threshold: float) -> dict[str, Any]:
    """What a score means for this model: accuracy observed in nested cross-validation.

    Returns a dict with ``sentence`` (plain words), ``chart`` (the reliability
    diagram, or ``None``) and ``detail`` (a second sentence, or ``None``).
    """
    if metrics is None:
        return {
            "sentence": "The model that made this result is not the one loaded now, so its "
            "validation figures cannot be shown here.",
            "chart": None,
            "detail": None,
        }
    evaluation = metrics.evaluation
    curve = evaluation.reliability if evaluation else None
    detail = _threshold_sentence(evaluation.calibrated, threshold) if evaluation else None
    if curve:
        return {
            "sentence": _bin_sentence(curve, score),
            "chart": reliability_chart(
                curve, score, caption="Observed accuracy per score range in nested cross-validation"
            ),
            "detail": detail,
        }
    if detail:
        return {"sentence": detail, "chart": None, "detail": None}
    return {
        "sentence": "This model was trained without nested cross-validation: there is no "
        "measured accuracy to quote. Treat its scores with caution.",
        "chart": None,
        "detail": None,
    }


def _bin_sentence(curve: ReliabilityCurve, score: float) -> str:
    bins = zip(curve.bin_lower, curve.bin_upper, curve.accuracy, curve.count, strict=True)
    for lower, upper, accuracy, count in bins:
        inside = lower <= score <= upper if upper >= 1.0 else lower <= score < upper
        if not inside:
            continue
        if not count or accuracy is None or math.isnan(accuracy):
            return (
                f"In nested cross-validation no reference tumour had a top score between "
                f"{lower:.1f} and {upper:.1f}: there is no observed accuracy for this range."
            )
        return (
            f"In nested cross-validation, {count} reference tumours had a top score between "
            f"{lower:.1f} and {upper:.1f}, like this case; {accuracy:.0%} of them were "
            "classified correctly."
        )
    return "The score lies outside the ranges measured in nested cross-validation."


def _threshold_sentence(report: ClassificationReport, threshold: float) -> str | None:
    fraction, accuracy = report.classified_fraction, report.classified_accuracy
    if fraction is None or accuracy is None:
        return None
    return (
        f"Overall, {fraction:.0%} of reference tumours reached the {threshold:g} threshold in "
        f"nested cross-validation, and {accuracy:.0%} of those calls were correct."
    )


def _made_by(model: ServedModel | None, stored: StoredResult) -> bool:
    """Whether the served model made this result (its figures then describe the result)."""
    if model is None:
        return False
    if stored.model_fingerprint is not None:
        return model.fingerprint == stored.model_fingerprint
    # Results stored before fingerprints were recorded.
    info = model.info
    return (info.name, info.version, info.run_id) == (
        stored.model_name,
        stored.model_version,
        stored.model_run_id,
    )


def _map(model: ServedModel | None, call: dict) -> dict[str, Any]:
    coords = call.get("embedding")
    reference = model.bundle.reference_embedding if model is not None else None
    if model is None or reference is None or not coords:
        reason = (
            "The model that made this result is not loaded now."
            if model is None
            else "This model was saved without a reference map."
            if reference is None
            else "This result was stored without map coordinates."
        )
        return {"chart": None, "legend": [], "reason": reason, "method": None}
    step = max(1, math.ceil(len(reference) / _MAX_MAP_POINTS))
    rows = reference.iloc[::step]
    labels = [str(label) for label in rows["label"]]
    case = (float(coords["x"]), float(coords["y"]))
    top = call["top_class"]
    shown = _nearest_classes(rows, case, top)
    groups = [label if label in shown else _OTHER_CLASSES for label in labels]
    colours = class_colours(shown)
    points = [
        MapPoint(
            x=float(x),
            y=float(y),
            group=group,
            title=f"{model.class_names.get(label, label)} (reference)",
            emphasised=label == top,
        )
        for x, y, label, group in zip(rows["x"], rows["y"], labels, groups, strict=True)
    ]
    chart: Markup = scatter_map(
        points, case, colours, case_label="this case",
        caption="This case among the reference cohort",
    )  # fmt: skip
    counts = Counter(groups)
    legend = [
        {
            "colour": colours[label],
            "name": model.class_names.get(label, label),
            "count": counts[label],
        }
        for label in shown
    ]
    if counts[_OTHER_CLASSES]:
        legend.append(
            {"colour": OTHER_COLOUR, "name": "other classes",
             "count": counts[_OTHER_CLASSES]}
        )  # fmt: skip
    fitted = getattr(model.bundle.estimator, "reference_map_", None)
    return {
        "chart": chart,
        "legend": legend,
        "reason": None,
        "called": call["top_class_name"],
        "method": fitted.method if fitted is not None else "pca",
    }


def _nearest_classes(rows, case: tuple[float, float], top: str) -> list[str]:
    """The called class and the classes with reference tumours nearest the case.

    Sixty-five colours cannot be told apart, so the map colours the classes
    a reader compares the case with and greys the rest.
    """
    distance = np.hypot(rows["x"].to_numpy() - case[0], rows["y"].to_numpy() - case[1])
    nearest = rows.assign(distance=distance).groupby("label")["distance"].min().sort_values()
    others = [str(label) for label in nearest.index if str(label) != top]
    return [top, *others[: _MAP_CLASSES - 1]]


def _provenance(stored: StoredResult, model: ServedModel | None) -> list[tuple[str, str]]:
    ref = stored.result["model"]
    rows = [
        ("Model", f"{ref['name']} version {ref['version']}"),
        ("MLflow run", ref.get("run_id") or "none recorded"),
        # Results stored before sources were shown without paths may hold one.
        ("Loaded from", public_source(ref["source"]) if ref.get("source") else "unknown"),
        ("Service code version", stored.code_version),
    ]
    if model is not None:
        provenance, estimator = model.bundle.provenance, model.bundle.estimator
        data = provenance.get("training_data") or {}
        rows += [
            ("Trained", str(provenance.get("created") or "unknown")),
            (
                "Training data",
                f"{data.get('n_samples', '?')} samples, fingerprint "
                f"{data.get('sha256') or 'not recorded'}",
            ),
            ("Learner", f"{estimator.learner}, {estimator.calibration} calibration"),
        ]
    rows += [
        ("Result id", stored.id),
        ("Stored", stored.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Request id", stored.request_id),
        ("Submitted by", stored.client or "unknown"),
        ("Input fingerprint (SHA-256)", stored.values_sha256),
    ]
    return rows
