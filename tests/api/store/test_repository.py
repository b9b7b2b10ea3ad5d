"""The result store: append-only writes, idempotent resubmission, reads."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from api.store import ResultQuery, attention_reasons
from api.store.tables import RequestRow, ResultRow
from tests.api.store.conftest import MODEL


def _record(store, items, request_id="req-1", client="lis-a"):
    return store.record(
        request_id=request_id, client=client, route="/v1/classify", model=MODEL, items=items
    )


def test_a_result_is_stored_with_its_audit_record(store, new_result):
    (stored,) = _record(store, [new_result("A-1")])
    assert not stored.resubmitted
    read = store.get(stored.id)
    assert read is not None
    assert read.accession == "A-1"
    assert read.client == "lis-a"
    assert read.request_id == "req-1"
    assert (read.model_name, read.model_version, read.model_run_id) == (
        "tiny-test-model",
        "7",
        "0123",
    )
    assert read.code_version == "test-1"
    assert read.array_type == "450k"
    assert (read.decision, read.top_class, read.score) == ("match", "DSRCT", 0.97)
    assert read.result["sample_id"] == "A-1"
    assert read.created_at.tzinfo is UTC
    assert store.deliveries("req-1") == [(stored.id, False)]


def test_the_response_carries_the_result_id(store, new_result):
    (stored,) = _record(store, [new_result("A-1")])
    response = stored.response()
    assert response["result_id"] == stored.id
    assert response["stored"]["result_id"] == stored.id
    assert response["stored"]["resubmitted"] is False
    assert "result_id" not in store.get(stored.id).result  # stored as returned, without it


def test_resubmission_returns_the_stored_result(store, new_result):
    (first,) = _record(store, [new_result("A-1")], request_id="req-1")
    (again,) = _record(store, [new_result("A-1")], request_id="req-2")
    assert again.id == first.id
    assert again.resubmitted
    assert again.response()["stored"]["resubmitted"] is True
    assert store.deliveries("req-2") == [(first.id, True)]
    with Session(store.engine) as session:
        assert len(session.scalars(select(ResultRow)).all()) == 1
        assert session.get_one(RequestRow, "req-2").n_resubmitted == 1


@pytest.mark.parametrize(
    "change",
    [
        {"accession": "A-2"},
        {"input": "in-2"},
        {"client": "lis-b"},
        {"model": {**MODEL, "version": "8"}},
    ],
)
def test_another_accession_input_client_or_model_gives_a_new_result(store, new_result, change):
    (first,) = _record(store, [new_result("A-1")])
    item = new_result(change.get("accession", "A-1"), input=change.get("input", "in-1"))
    (second,) = store.record(
        request_id="req-2",
        client=change.get("client", "lis-a"),
        route="/v1/classify",
        model=change.get("model", MODEL),
        items=[item],
    )
    assert second.id != first.id
    assert not second.resubmitted


def test_a_profile_repeated_in_one_batch_is_stored_once(store, new_result):
    first, second, other = _record(store, [new_result("A-1"), new_result("A-1"), new_result("B")])
    assert first.id == second.id != other.id
    assert (first.resubmitted, second.resubmitted, other.resubmitted) == (False, True, False)
    assert [r for r, _ in store.deliveries("req-1")] == [first.id, first.id, other.id]


def test_writes_only_insert(store, engine, new_result):
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    _record(store, [new_result("A-1"), new_result("B")], request_id="req-1")
    _record(store, [new_result("A-1")], request_id="req-2")
    verbs = {s.split()[0].upper() for s in statements}
    assert verbs <= {"SELECT", "INSERT"}, verbs


def test_a_race_for_the_same_original_ends_in_one_row(store, new_result, monkeypatch):
    (first,) = _record(store, [new_result("A-1")], request_id="req-1")
    # The second writer did not see the first row (another replica, same moment):
    # the unique index refuses its insert, and the retry finds the row.
    real = type(store)._originals
    calls = []

    def stale_once(self, *args):
        calls.append(1)
        return {} if len(calls) == 1 else real(self, *args)

    monkeypatch.setattr(type(store), "_originals", stale_once)
    (second,) = _record(store, [new_result("A-1")], request_id="req-2")
    assert second.id == first.id and second.resubmitted
    assert len(calls) == 2
    assert store.deliveries("req-2") == [(first.id, True)]


def test_unknown_id_reads_none(store):
    assert store.get("0" * 32) is None


def test_find_by_accession_and_filters(store, new_result):
    _record(store, [new_result("A-1"), new_result("A-2", decision="no_match")])
    _record(store, [new_result("A-1", input="in-2", fusion="inconsistent")], request_id="r2")
    assert {r.accession for r in store.find(ResultQuery(accession="A-1"))} == {"A-1"}
    assert len(store.find(ResultQuery(accession="A-1"))) == 2
    assert [r.accession for r in store.find(ResultQuery(decision="no_match"))] == ["A-2"]
    assert [r.fusion_status for r in store.find(ResultQuery(fusion_status="inconsistent"))] == [
        "inconsistent"
    ]
    assert store.find(ResultQuery(accession="nobody")) == []
    assert len(store.find(ResultQuery(limit=1))) == 1


def test_find_only_a_clients_own(store, new_result):
    _record(store, [new_result("A-1")], client="lis-a")
    _record(store, [new_result("B-1")], client="lis-b", request_id="r2")
    assert [r.accession for r in store.find(ResultQuery(client="lis-b"))] == ["B-1"]
    assert store.top_classes(client="lis-b") == ["DSRCT"]


def test_attention_first_then_newest(store, new_result):
    _record(store, [new_result("quiet-old")], request_id="r1")
    _record(store, [new_result("reclassified", verdict="reclassified")], request_id="r2")
    _record(store, [new_result("quiet-new", input="x")], request_id="r3")
    _record(store, [new_result("ood", ood=True, input="y")], request_id="r4")
    order = [r.accession for r in store.find(ResultQuery(attention_first=True))]
    assert order == ["ood", "reclassified", "quiet-new", "quiet-old"]
    # Without attention_first: newest first.
    assert store.find(ResultQuery())[0].accession == "ood"


@pytest.mark.parametrize("limit", [0, 501])
def test_query_limit_is_bounded(limit):
    with pytest.raises(ValueError, match="limit must be between 1 and 500"):
        ResultQuery(limit=limit)


def test_attention_reasons_in_words(new_result):
    result = new_result(
        "x", decision="no_match", fusion="inconsistent", verdict="reclassified", ood=True
    ).result
    result["fusion_consistency"]["dsrct_check"]["flagged"] = True
    assert attention_reasons(result) == [
        "no match",
        "fusion evidence inconsistent",
        "DSRCT check flagged",
        "reclassified",
        "out of distribution",
    ]
    assert attention_reasons(new_result("y").result) == []
