"""ProbeAligner: the fast paths agree with the general one, and with detect_array."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pytest

from api.intake.profile import ProfileInput
from api.served_model.alignment import AlignmentCache
from classifier.array_detection import detect_array
from classifier.manifest import load_manifest
from classifier.probes import ArrayType


@pytest.fixture(scope="module")
def aligner(client):
    return client.app.state.model.aligner


def _profile(values, ids=None, array=None) -> ProfileInput:
    values = np.asarray(values, dtype=np.float32)
    return ProfileInput(0, "S1", None, (), values, ids=ids, array=array,
                        n_rejected=int(np.isnan(values).sum()))  # fmt: skip


def _qc(qc):
    """A QC record without its canonical form (which holds arrays)."""
    return dataclasses.replace(qc, canonical=None)


@pytest.mark.slow
@pytest.mark.parametrize("array", list(ArrayType))
def test_canonical_order_equals_id_lookup(aligner, array):
    ids = load_manifest().array_probe_ids(array)
    rng = np.random.default_rng(0)
    values = rng.uniform(0, 1, len(ids)).astype(np.float32)
    values[rng.random(len(ids)) < 0.05] = np.nan
    by_order, qc_order = aligner.align(_profile(values, array=array), AlignmentCache())
    by_list, qc_list = aligner.align(_profile(values, ids=ids.tolist()), AlignmentCache())
    by_arrow, _ = aligner.align(_profile(values, ids=pa.array(ids)), AlignmentCache())
    # The whole array in another order is still the array, put in its order.
    order = rng.permutation(len(ids))
    by_shuffled, qc_shuffled = aligner.align(
        _profile(values[order], ids=ids[order].tolist()), AlignmentCache()
    )
    # One probe fewer is no whole array: the ids are looked up.
    kept = order[1:]
    by_lookup, qc_lookup = aligner.align(
        _profile(values[kept], ids=ids[kept].tolist()), AlignmentCache()
    )
    np.testing.assert_array_equal(by_order, by_list)
    np.testing.assert_array_equal(by_order, by_arrow)
    np.testing.assert_array_equal(by_order, by_shuffled)
    changed = np.flatnonzero(~np.isclose(by_order, by_lookup, rtol=1e-6, equal_nan=True))
    assert len(changed) <= 1  # the probe left out, if the model reads it
    assert qc_order.canonical is None and _qc(qc_order) == _qc(qc_list) == _qc(qc_shuffled)
    for qc in (qc_list, qc_shuffled):
        assert (qc.canonical.kind, qc.canonical.array) == ("array", array.value)
    np.testing.assert_array_equal(qc_shuffled.canonical.values(values[order]), values)
    assert qc_lookup.canonical.kind == "ids"
    assert qc_lookup.canonical.ids.equals(pa.array(np.sort(ids[kept])))
    assert qc_order.array_type == qc_lookup.array_type == array.value


def test_detection_follows_detect_array(aligner, world):
    manifest = load_manifest()
    cases = {
        "450k": manifest.array_probe_ids(ArrayType.HM450)[::50].tolist(),
        "epic-only": [p for p in manifest.array_probe_ids(ArrayType.EPIC)[:20_000]],
        "reduced": list(world.cpgs),
        "epicv2": [ids[0] for ids in world.epicv2_ids.values()],
    }
    for name, ids in cases.items():
        _, qc = aligner.align(_profile(np.full(len(ids), 0.5), ids=ids), AlignmentCache())
        assert qc.array_type == detect_array(ids).value, name


def test_replicates_are_averaged_ignoring_failed_probes(aligner, world):
    cpg = next(c for c, ids in world.epicv2_ids.items() if len(ids) > 1)
    column = list(aligner.cpgs).index(cpg) if cpg in set(aligner.cpgs) else None
    if column is None:
        pytest.skip("the tiny model did not select a replicated CpG")
    raws = world.epicv2_ids[cpg]
    values = [0.2, 0.4] + [np.nan] * (len(raws) - 2)
    row, qc = aligner.align(_profile(values, ids=raws), AlignmentCache())
    assert row[column] == pytest.approx(0.3)
    assert qc.replicates_collapsed == 1


def test_batch_cache_reuses_a_shared_id_list(aligner, world):
    cache = AlignmentCache()
    ids = list(world.cpgs)
    aligner.align(_profile(np.full(len(ids), 0.5), ids=ids), cache)
    first = cache.gather
    aligner.align(_profile(np.full(len(ids), 0.4), ids=list(ids)), cache)
    assert cache.gather is first
    aligner.align(_profile(np.full(len(ids) - 1, 0.4), ids=ids[1:]), cache)
    assert cache.gather is not first


def test_the_models_own_order_equals_id_lookup(aligner):
    ids = aligner.cpgs.tolist()
    rng = np.random.default_rng(1)
    values = rng.uniform(0, 1, len(ids)).astype(np.float32)
    own, qc_own = aligner.align(_profile(values, ids=list(ids)), AlignmentCache())
    order = rng.permutation(len(ids))
    shuffled, qc_shuffled = aligner.align(
        _profile(values[order], ids=[ids[i] for i in order]), AlignmentCache()
    )
    np.testing.assert_array_equal(own, values)
    np.testing.assert_array_equal(own, shuffled)
    assert _qc(qc_own) == _qc(qc_shuffled)
    # Both are the model's own order: one canonical form, one fingerprint.
    assert qc_own.canonical.kind == qc_shuffled.canonical.kind == "model"
    np.testing.assert_array_equal(qc_shuffled.canonical.values(values[order]), values)
    np.testing.assert_array_equal(qc_own.canonical.values(values), values)


def test_arrow_ids_in_the_models_own_order_skip_the_lookup(aligner, monkeypatch):
    # JSON betas objects arrive as Arrow ids (api.intake.betas_object); a LIS that
    # sends the model's CpGs in order must not pay for the id lookup.
    ids = aligner.cpgs.tolist()
    values = np.random.default_rng(2).uniform(0, 1, len(ids)).astype(np.float32)
    as_list, qc_list = aligner.align(_profile(values, ids=list(ids)), AlignmentCache())

    def no_lookup(*args):
        raise AssertionError("the ids were looked up")

    monkeypatch.setattr(aligner._ids, "lookup", no_lookup)
    as_arrow, qc_arrow = aligner.align(_profile(values, ids=pa.array(ids)), AlignmentCache())
    np.testing.assert_array_equal(as_arrow, as_list)
    assert _qc(qc_arrow) == _qc(qc_list)
    assert qc_arrow.canonical.kind == qc_list.canonical.kind == "model"
