"""The result store: append-only writes, idempotent resubmission, reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from api.store import Correction, Listing, ResultQuery, attention_reasons
from api.store.tables import RequestRow, ResultRow
from tests.api.store.conftest import MODEL


def _record(store, items, request_id="req-1", client="lis-a", model=MODEL):
    return store.record(
        request_id=request_id, client=client, route="/v1/classify", model=model, items=items
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
    assert read.model_fingerprint == MODEL["fingerprint"]
    assert read.manifest_sha256 == MODEL["manifest_sha256"]
    assert read.supersedes_id is read.superseded_by is read.corrected_by is None
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
        # A retrained bundle with the same name and version (e.g. "unregistered").
        {"model": {**MODEL, "run_id": "4567", "fingerprint": "e" * 64}},
        {"model": {**MODEL, "run_id": None, "fingerprint": "e" * 64}},
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


def test_find_by_accession_prefix(store, new_result):
    accessions = ["S-2024-0117", "S-2024-0118", "s-2025-0001", "S_2024%x", "S/2024", "T-2024-0117"]
    _record(store, [new_result(a) for a in accessions])

    def found(prefix: str) -> list[str]:
        return sorted(r.accession for r in store.find(ResultQuery(accession_prefix=prefix)))

    assert found("S-2024") == ["S-2024-0117", "S-2024-0118"]
    assert found("s-") == ["S-2024-0117", "S-2024-0118", "s-2025-0001"]  # any case
    # LIKE's wildcards are plain characters.
    assert found("S_") == ["S_2024%x"]
    assert found("S_2024%") == ["S_2024%x"]
    assert found("%") == []
    assert found("s/") == ["S/2024"]  # and so is the escape character
    assert found("2024") == []  # the start of the id, not anywhere in it


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


def test_a_finding_against_the_call_and_low_coverage_need_attention(new_result):
    # A negative RNA-NGS test for EWSR1::WT1 does not make a DSRCT call inconsistent
    # (a test can miss a fusion), but a reviewer must see it.
    result = new_result("z", fusion="consistent_unconfirmed").result
    result["fusion_consistency"]["contradicting"] = [
        "findings[0]: EWSR1::WT1 not detected by RNA-based NGS"
    ]
    result["qc"]["warnings"] = [{"code": "low_coverage", "message": "65% of the model's CpGs"}]
    assert attention_reasons(result) == ["findings against the call", "low coverage"]
    result["fusion_consistency"]["status"] = "inconsistent"  # said once, not twice
    assert attention_reasons(result) == ["fusion evidence inconsistent", "low coverage"]


def test_a_retrained_bundle_keeps_its_own_resubmissions(store, new_result):
    retrained = {**MODEL, "fingerprint": "e" * 64}
    (old,) = _record(store, [new_result("A-1")], request_id="r1")
    (new,) = _record(store, [new_result("A-1")], request_id="r2", model=retrained)
    (again,) = _record(store, [new_result("A-1")], request_id="r3", model=retrained)
    assert new.id != old.id and not new.resubmitted
    assert again.id == new.id and again.resubmitted
    assert store.get(new.id).model_fingerprint == "e" * 64


def _backdate(store, result_id: str, days: int) -> None:
    with Session(store.engine) as session, session.begin():
        session.execute(
            update(ResultRow)
            .where(ResultRow.id == result_id)
            .values(created_at=datetime.now(UTC) - timedelta(days=days))
        )


def test_old_attention_cases_do_not_push_recent_results_off_the_worklist(store, new_result):
    (old_ood,) = _record(store, [new_result("old-ood", ood=True, input="a")], request_id="r1")
    _backdate(store, old_ood.id, days=40)
    _record(store, [new_result("recent-quiet", input="b")], request_id="r2")
    _record(store, [new_result("recent-ood", ood=True, input="c")], request_id="r3")
    query = ResultQuery(attention_first=True)
    assert [r.accession for r in store.find(query)] == ["recent-ood", "recent-quiet", "old-ood"]
    # A wider window lifts the old case too.
    wide = Listing(attention_window=timedelta(days=60))
    assert [r.accession for r in store.find(query, wide)] == [
        "recent-ood",
        "old-ood",
        "recent-quiet",
    ]
    # The window ends at the listing's "now": in 31 days nothing is recent.
    later = Listing(now=datetime.now(UTC) + timedelta(days=31))
    assert [r.accession for r in store.find(query, later)] == [
        "recent-ood",
        "recent-quiet",
        "old-ood",
    ]
    assert [r.accession for r in store.find(ResultQuery(attention_first=True, limit=1), later)] == [
        "recent-ood"
    ]


def test_pages_follow_one_another(store, new_result):
    for i in range(5):
        _record(store, [new_result(f"A-{i}", input=f"in-{i}")], request_id=f"r{i}")
    query = ResultQuery(limit=2)
    first = store.find_page(query)
    assert (first.offset, first.next_offset, first.previous_offset) == (0, 2, None)
    second = store.find_page(query, Listing(offset=first.next_offset))
    third = store.find_page(query, Listing(offset=second.next_offset))
    assert (second.next_offset, second.previous_offset) == (4, 0)
    assert third.next_offset is None and len(third.results) == 1
    seen = [r.accession for page in (first, second, third) for r in page.results]
    assert seen == ["A-4", "A-3", "A-2", "A-1", "A-0"]
    assert store.find_page(query, Listing(offset=10)).results == []


def test_listings_show_the_current_version_unless_asked(store, new_result):
    (original,) = _record(store, [new_result("A-1")])
    (other,) = _record(store, [new_result("A-1", input="in-2")], request_id="r2")
    corrected = store.correct(original.id, Correction("typo", comment="ok"), corrected_by="dr-x")
    current = store.find(ResultQuery(accession="A-1"))
    assert {r.id for r in current} == {corrected.id, other.id}
    assert all(r.superseded_by is None for r in current)
    everything = store.find(ResultQuery(accession="A-1"), Listing(include_superseded=True))
    by_id = {r.id: r for r in everything}
    assert set(by_id) == {original.id, corrected.id, other.id}
    assert by_id[original.id].superseded_by == corrected.id
