import json

import numpy as np
import pytest

from classifier.bundle import ModelBundle, load_bundle, save_bundle
from classifier.decision import Decision, decide
from classifier.errors import ModelBundleError
from classifier.qc_thresholds import QcThresholds


def test_round_trip_gives_identical_predictions(tiny_bundle_dir, tiny_model, tiny_cohort):
    bundle = load_bundle(tiny_bundle_dir)
    aligned = tiny_model.align(tiny_cohort.betas.iloc[:10])
    np.testing.assert_allclose(
        bundle.estimator.predict_proba(tiny_cohort.betas.iloc[:10]),
        tiny_model.predict_proba(tiny_cohort.betas.iloc[:10]),
    )
    assert list(bundle.cpgs) == list(tiny_model.cpgs_)
    assert bundle.classes == tuple(tiny_model.classes_)
    assert dict(zip(bundle.classes, bundle.class_families, strict=True))["DSRCT"] == "ROUND_CELL"
    calls = bundle.classify_aligned(aligned)
    assert len(calls) == 10
    threshold = bundle.threshold
    for call in calls:
        assert call.decision is decide(call.score, call.family_score, threshold)
    assert (tiny_bundle_dir / "cpgs.txt").read_text().split() == list(tiny_model.cpgs_)


def test_bundle_json_is_self_describing(tiny_bundle_dir):
    meta = json.loads((tiny_bundle_dir / "bundle.json").read_text())
    assert meta["format"] == 1
    assert meta["threshold"] == 0.9
    assert meta["n_cpgs"] == 300
    assert set(meta["provenance"]["libraries"]) >= {"scikit-learn", "xgboost", "numpy"}
    assert len(meta["estimator_sha256"]) == 64


def _copy(bundle_dir, tmp_path):
    copy = tmp_path / "bundle"
    copy.mkdir()
    for f in bundle_dir.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    return copy


def test_tampered_estimator_is_refused(tiny_bundle_dir, tmp_path):
    copy = _copy(tiny_bundle_dir, tmp_path)
    with (copy / "estimator.joblib").open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelBundleError, match="does not match the hash"):
        load_bundle(copy)


def test_reordered_cpg_list_is_refused_naming_the_first_mismatch(tiny_bundle_dir, tmp_path):
    copy = _copy(tiny_bundle_dir, tmp_path)
    cpgs = (copy / "cpgs.txt").read_text().split()
    cpgs[4], cpgs[5] = cpgs[5], cpgs[4]  # same count, same set: only the order differs
    (copy / "cpgs.txt").write_text("\n".join(cpgs) + "\n")
    with pytest.raises(
        ModelBundleError,
        match=rf"cpgs.txt differs from the estimator's CpG list at position 5: '{cpgs[4]}' "
        rf"where the estimator has '{cpgs[5]}' \(cpgs.txt lists 300 CpGs, the estimator 300\)",
    ):
        load_bundle(copy)


def test_truncated_or_missing_cpg_list_is_refused(tiny_bundle_dir, tmp_path):
    copy = _copy(tiny_bundle_dir, tmp_path)
    cpgs = (copy / "cpgs.txt").read_text().split()
    (copy / "cpgs.txt").write_text("\n".join(cpgs[:-1]) + "\n")
    with pytest.raises(
        ModelBundleError,
        match=r"at position 300: the end of the list where the estimator has .*"
        r"\(cpgs.txt lists 299 CpGs, the estimator 300\)",
    ):
        load_bundle(copy)
    (copy / "cpgs.txt").unlink()
    with pytest.raises(ModelBundleError, match=r"has no cpgs\.txt"):
        load_bundle(copy)


def test_missing_or_unknown_bundles_are_refused(tmp_path, tiny_bundle_dir):
    with pytest.raises(ModelBundleError, match=r"bundle\.json missing"):
        load_bundle(tmp_path)
    meta = json.loads((tiny_bundle_dir / "bundle.json").read_text())
    meta["format"] = 99
    (tmp_path / "bundle.json").write_text(json.dumps(meta))
    with pytest.raises(ModelBundleError, match="format 99 is not supported"):
        load_bundle(tmp_path)


def test_to_jsonable_turns_nan_into_null():
    import numpy as np

    from classifier.bundle import to_jsonable

    out = to_jsonable({"a": float("nan"), "b": np.float32(0.5), "c": [np.inf, 1], "d": (1, 2)})
    assert out == {"a": None, "b": 0.5, "c": [None, 1], "d": [1, 2]}
    json.dumps(out, allow_nan=False)  # strict JSON


def test_a_bundle_may_state_its_minimum_coverage_for_a_verdict(tiny_bundle_dir, tmp_path):
    assert load_bundle(tiny_bundle_dir).min_verdict_coverage is None
    copy = _copy(tiny_bundle_dir, tmp_path)
    meta = json.loads((copy / "bundle.json").read_text())
    (copy / "bundle.json").write_text(json.dumps(meta | {"min_verdict_coverage": 0.8}))
    assert load_bundle(copy).min_verdict_coverage == 0.8
    (copy / "bundle.json").write_text(json.dumps(meta | {"min_verdict_coverage": 1.5}))
    with pytest.raises(ModelBundleError, match="min_verdict_coverage must be a share"):
        load_bundle(copy)


def _calls_at(tiny_model, tiny_cohort, threshold, **extra):
    bundle = ModelBundle(
        estimator=tiny_model,
        name="tiny",
        version="test",
        class_families=tuple("F" if c in {"DSRCT", "EWS"} else c for c in tiny_model.classes_),
        threshold=threshold,
        **extra,
    )
    return bundle.classify_aligned(tiny_model.align(tiny_cohort.betas))


def test_the_served_decision_follows_the_bundles_threshold(tiny_model, tiny_cohort):
    proba = tiny_model.predict_proba(tiny_cohort.betas)
    top = proba.max(axis=1)
    # A threshold between two observed top scores: every decision on either side is known.
    threshold = float(np.sort(top)[len(top) // 2])
    calls = _calls_at(tiny_model, tiny_cohort, threshold)
    expected_match = top >= threshold
    assert [c.decision is Decision.MATCH for c in calls] == expected_match.tolist()
    strict = _calls_at(tiny_model, tiny_cohort, 1.0)
    assert not any(c.decision is Decision.MATCH for c in strict)
    for call, p in zip(calls, proba, strict=True):
        assert call.score == pytest.approx(p.max())
        assert call.top_class == tiny_model.classes_[p.argmax()]


def test_a_family_match_needs_the_family_score_alone(tiny_model, tiny_cohort):
    # DSRCT and EWS form family F: a profile split between them is a family match
    # at a threshold above each class score and below their sum.
    proba = tiny_model.predict_proba(tiny_cohort.betas)
    members = np.isin(tiny_model.classes_, ["DSRCT", "EWS"])
    family = proba[:, members].sum(axis=1)
    top = proba.max(axis=1)
    calls = _calls_at(tiny_model, tiny_cohort, 0.75)
    for call, f, t in zip(calls, family, top, strict=True):
        best_family = max(f, t)  # other families hold one class each
        if t >= 0.75:
            assert call.decision is Decision.MATCH
        elif best_family >= 0.75:
            assert call.decision is Decision.FAMILY_MATCH
        else:
            assert call.decision is Decision.NO_MATCH


def test_qc_thresholds_travel_in_the_bundle_and_set_the_ood_flag(tiny_model, tiny_cohort, tmp_path):
    distances = tiny_model.predict_detail(tiny_cohort.betas.iloc[:6]).ood_distance
    cut = float(np.sort(distances)[2])
    qc = QcThresholds(
        min_coverage=0.8, ood_distance=cut, ood_ratio=1.1, min_coverage_rule="r1", ood_rule="r2"
    )
    bundle = ModelBundle(
        estimator=tiny_model, name="tiny", version="t",
        class_families=tuple(tiny_model.classes_), qc_thresholds=qc,
    )  # fmt: skip
    loaded = load_bundle(save_bundle(bundle, tmp_path / "b"))
    assert loaded.qc_thresholds == qc
    assert (
        json.loads((tmp_path / "b" / "bundle.json").read_text())["qc_thresholds"]["min_coverage"]
        == 0.8
    )
    calls = loaded.classify_aligned(tiny_model.align(tiny_cohort.betas.iloc[:6]))
    assert [c.ood for c in calls] == (distances > cut).tolist()
    assert all(c.ood_threshold == cut for c in calls)


def test_malformed_qc_thresholds_are_refused(tiny_bundle_dir, tmp_path):
    copy = _copy(tiny_bundle_dir, tmp_path)
    meta = json.loads((copy / "bundle.json").read_text())
    meta["qc_thresholds"] = {"min_coverage": "lots"}
    (copy / "bundle.json").write_text(json.dumps(meta))
    with pytest.raises(ModelBundleError, match="qc_thresholds is malformed"):
        load_bundle(copy)


@pytest.mark.parametrize(
    ("own", "evaluated", "service", "expected"),
    [
        (None, None, 0.9, 0.9),  # nothing in the bundle: the service's setting
        (None, 0.95, 0.9, 0.95),  # the evaluation asks for more: it wins
        (None, 0.5, 0.9, 0.9),  # the evaluation alone never lowers the service's floor
        (None, 0.9, 0.9, 0.9),  # equal at the edge
        (0.7, 0.95, 0.9, 0.7),  # a value a person wrote in bundle.json wins over both
    ],
)
def test_the_minimum_coverage_of_a_verdict(tiny_model, own, evaluated, service, expected):
    qc = None
    if evaluated is not None:
        qc = QcThresholds(
            min_coverage=evaluated, ood_distance=1.0, ood_ratio=1.0,
            min_coverage_rule="r1", ood_rule="r2",
        )  # fmt: skip
    bundle = ModelBundle(
        estimator=tiny_model, name="tiny", version="t", class_families=tuple(tiny_model.classes_),
        min_verdict_coverage=own, qc_thresholds=qc,
    )  # fmt: skip
    assert bundle.verdict_min_coverage(service) == expected
