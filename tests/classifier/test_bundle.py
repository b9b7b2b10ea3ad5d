import json

import numpy as np
import pytest

from classifier.bundle import load_bundle
from classifier.decision import Decision
from classifier.errors import ModelBundleError


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
    assert calls[0].decision in set(Decision)
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
