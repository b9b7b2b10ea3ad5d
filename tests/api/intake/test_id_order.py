"""The code-point order of probe ids: the order of Python's sorted(), stable, fast for cg ids."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from api.intake import id_order
from api.intake.id_order import code_point_order, in_code_point_order

_ODD = ["cg", "cg1", "cg0000002", "cg00000029_TC21", "cg00000029", "cg0000002x", "cg0000002-",
        "cg9", "cga", "ch.1.123F", "rs10", "c", "b", "cg00000030", "cg99999999", "cg99999999_x",
        "cgé", "ç", "nv-GRCh38-chr1-1-1-A-G", "cg12345678", "", "cg1234567٣"]  # fmt: skip


def _expected(ids: list[str]) -> list[int]:
    return sorted(range(len(ids)), key=lambda i: (ids[i], i))  # stable


@pytest.mark.parametrize("seed", range(30))
def test_the_order_is_sorted_s_stable_order(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    cg = [f"cg{int(x):08d}" for x in rng.integers(0, 10**8, n)]
    odd = [str(rng.choice(_ODD)) for _ in range(int(rng.integers(0, 40)))]
    ids = cg + odd + cg[: int(rng.integers(0, 5))]  # some given twice
    ids = [ids[i] for i in rng.permutation(len(ids))]
    order = code_point_order(pa.array(ids, pa.string()))
    assert order is not None
    assert order.tolist() == _expected(ids)


def test_sorted_ids_need_no_order():
    ids = sorted([*_ODD, "cg00000001", "cg00000001"])
    assert in_code_point_order(pa.array(ids))
    assert code_point_order(pa.array(ids)) is None
    assert code_point_order(pa.array([], pa.string())) is None


def test_a_sliced_array_is_read_at_its_offset():
    ids = pa.array(["zz", "cg00000003", "cg00000001", "ch.1.1F", "cg00000002"]).slice(1, 4)
    assert code_point_order(ids).tolist() == [1, 3, 0, 2]


def test_many_other_ids_are_sorted_as_strings(monkeypatch):
    monkeypatch.setattr(id_order, "_MAX_MERGED", 3)
    ids = ["rs5", "cg00000002", "ch.2.1F", "rs1", "cg00000001", "ch.1.1F"]
    assert code_point_order(pa.array(ids, pa.large_string())).tolist() == _expected(ids)
