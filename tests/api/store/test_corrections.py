"""Corrections: a new row that supersedes the old one, which never changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from api.store import (
    Correction,
    CorrectionError,
    ResultNotFoundError,
    ResultQuery,
    ResultSupersededError,
    attention_reasons,
)
from api.store.corrections import amend
from api.store.records import ROW_FIELDS
from api.store.tables import ResultRow
from tests.api.store.conftest import MODEL


def _record(store, item, request_id="req-1", client="lis-a"):
    (stored,) = store.record(
        request_id=request_id, client=client, route="/v1/classify", model=MODEL, items=[item]
    )
    return stored


def _columns(engine, result_id: str) -> dict:
    with Session(engine) as session:
        row = session.get_one(ResultRow, result_id)
        return {name: getattr(row, name) for name in (*ROW_FIELDS, "created_at")}


def test_a_correction_is_a_new_row_and_the_old_one_is_unchanged(store, engine, new_result):
    original = _record(store, new_result("A-1"))
    before = _columns(engine, original.id)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    corrected = store.correct(
        original.id,
        Correction(
            "the submitted diagnosis was a transcription error",
            reclassification_verdict="reclassified",
            reported_class="EWS",
            comment="EWSR1::FLI1 by RNA-NGS",
        ),
        corrected_by="dr-review",
        request_id="c0ffee" * 5 + "00",
    )
    assert {s.split()[0].upper() for s in statements} <= {"SELECT", "INSERT"}
    assert _columns(engine, original.id) == before
    assert corrected.id != original.id
    assert corrected.supersedes_id == original.id
    assert (corrected.corrected_by, corrected.correction_reason) == (
        "dr-review",
        "the submitted diagnosis was a transcription error",
    )
    # The submitter and the model's statement are those of the original.
    for name in ("client", "accession", "request_id", "input_sha256", "model_fingerprint"):
        assert getattr(corrected, name) == getattr(original, name)
    assert corrected.result["classification"] == original.result["classification"]
    assert (corrected.decision, corrected.top_class, corrected.score) == ("match", "DSRCT", 0.97)
    # The interpretation follows the review.
    assert corrected.reclassification == "reclassified"
    assert corrected.result["reclassification"] == {
        "verdict": "reclassified",
        "service_verdict": "confirmed",
    }
    assert corrected.needs_attention and corrected.attention == ["reclassified"]
    review = corrected.result["review"]
    assert review == {
        "supersedes_id": original.id,
        "corrected_by": "dr-review",
        "corrected_at": corrected.created_at.isoformat(),
        "request_id": "c0ffee" * 5 + "00",
        "reason": "the submitted diagnosis was a transcription error",
        "reported_class": "EWS",
        "reported_class_name": "Ewing sarcoma",
        "comment": "EWSR1::FLI1 by RNA-NGS",
        "signed_off": False,
        "signed_off_by": None,
        "signed_off_at": None,
        "amends_interpretation": True,
    }
    assert corrected.created_at >= original.created_at


def test_reading_by_id_says_which_result_supersedes(store, new_result):
    original = _record(store, new_result("A-1"))
    corrected = store.correct(original.id, Correction("why", comment="c"), corrected_by="dr-x")
    assert store.get(original.id).superseded_by == corrected.id
    assert store.get(corrected.id).superseded_by is None
    assert store.get(corrected.id).supersedes_id == original.id
    assert store.newest(original.id) == corrected.id


def test_only_the_newest_version_may_be_corrected(store, new_result):
    original = _record(store, new_result("A-1"))
    first = store.correct(original.id, Correction("one", comment="1"), corrected_by="dr-x")
    second = store.correct(first.id, Correction("two", comment="2"), corrected_by="dr-y")
    with pytest.raises(ResultSupersededError, match="correct the newest version") as caught:
        store.correct(original.id, Correction("three", comment="3"), corrected_by="dr-z")
    assert (caught.value.superseded_by, caught.value.newest) == (first.id, second.id)
    with Session(store.engine) as session:
        assert len(session.scalars(select(ResultRow)).all()) == 3


def test_a_lost_race_between_two_reviewers_is_refused(store, new_result, monkeypatch):
    original = _record(store, new_result("A-1"))
    winner = store.correct(original.id, Correction("first", comment="a"), corrected_by="dr-x")
    # The loser checked before the winner's row existed; the unique index refuses it.
    monkeypatch.setattr(type(store), "_refuse_superseded", _stale_once(store))
    with pytest.raises(ResultSupersededError) as caught:
        store.correct(original.id, Correction("second", comment="b"), corrected_by="dr-y")
    assert caught.value.superseded_by == winner.id


def _stale_once(store):
    real = type(store)._refuse_superseded
    calls: list[int] = []

    def stale(self, session, result_id):
        calls.append(1)
        if len(calls) > 1:
            real(self, session, result_id)

    return stale


def test_amendments_accumulate(store, new_result):
    original = _record(store, new_result("A-1", verdict="reclassified"))
    first = store.correct(
        original.id,
        Correction("set class", reported_class="EWS", reclassification_verdict="confirmed"),
        corrected_by="dr-x",
    )
    second = store.correct(first.id, Correction("add comment", comment="ok"), corrected_by="dr-y")
    review = second.result["review"]
    assert (review["reported_class"], review["comment"], review["corrected_by"]) == (
        "EWS",
        "ok",
        "dr-y",
    )
    assert review["supersedes_id"] == first.id
    assert second.result["reclassification"] == {
        "verdict": "confirmed",
        "service_verdict": "reclassified",
    }
    assert not first.needs_attention  # no longer "reclassified"


def test_a_sign_off_takes_the_result_off_the_attention_list(store, new_result):
    flagged = _record(store, new_result("A-1", input="i1", verdict="reclassified"), "r1")
    _record(store, new_result("B-1", input="i2"), "r2")  # a clean result, stored after
    assert flagged.needs_attention and flagged.attention == ["reclassified"]
    signed = store.correct(
        flagged.id, Correction("reviewed: agree", signed_off=True), corrected_by="dr-x"
    )
    review = signed.result["review"]
    assert not signed.needs_attention and signed.attention == [] and signed.signed_off
    assert (review["signed_off"], review["signed_off_by"]) == (True, "dr-x")
    assert review["signed_off_at"] == review["corrected_at"]
    assert review["amends_interpretation"] is False  # a sign-off alone
    # The service's reasons are kept, for the case page to show beside the sign-off.
    assert attention_reasons(signed.result) == ["reclassified"]
    assert signed.result["reclassification"]["verdict"] == "reclassified"
    _record(store, new_result("C-1", input="i3"), "r3")  # stored after the sign-off
    order = [r.accession for r in store.find(ResultQuery(attention_first=True))]
    assert order == ["C-1", "A-1", "B-1"]  # newest first: nothing is lifted any more

    # A later comment keeps the sign-off and who gave it; withdrawing it brings the case back.
    noted = store.correct(signed.id, Correction("note", comment="seen"), corrected_by="dr-y")
    assert noted.signed_off and noted.result["review"]["signed_off_by"] == "dr-x"
    assert noted.result["review"]["amends_interpretation"] is True
    reopened = store.correct(
        noted.id, Correction("new finding", signed_off=False), corrected_by="dr-y"
    )
    assert reopened.needs_attention and reopened.attention == ["reclassified"]
    assert reopened.result["review"]["signed_off_by"] is None
    assert reopened.result["review"]["amends_interpretation"] is False
    order = [r.accession for r in store.find(ResultQuery(attention_first=True))]
    assert order[0] == "A-1"


def test_a_sign_off_that_changes_nothing_is_refused(store, new_result):
    original = _record(store, new_result("A-1", verdict="reclassified"))
    with pytest.raises(CorrectionError, match="not signed off: this correction") as caught:
        store.correct(original.id, Correction("reopen", signed_off=False), corrected_by="x")
    assert (caught.value.field, caught.value.type) == ("signed_off", "nothing_to_correct")
    signed = store.correct(original.id, Correction("agree", signed_off=True), corrected_by="x")
    with pytest.raises(CorrectionError, match="signed off already"):
        store.correct(signed.id, Correction("agree again", signed_off=True), corrected_by="y")
    assert store.get(signed.id).superseded_by is None  # nothing was stored
    # With another amendment, restating the sign-off is fine and keeps who gave it.
    noted = store.correct(
        signed.id, Correction("note", comment="seen", signed_off=True), corrected_by="y"
    )
    assert noted.result["review"]["signed_off_by"] == "x"


def test_a_new_verdict_or_class_is_not_what_was_signed_off(store, new_result):
    original = _record(store, new_result("A-1", verdict="reclassified"))
    signed = store.correct(original.id, Correction("agree", signed_off=True), corrected_by="x")
    # Another reviewer changes the verdict: the sign-off was of the old one.
    changed = store.correct(
        signed.id, Correction("wrong case", reclassification_verdict="reclassified"),
        corrected_by="z",
    )  # fmt: skip
    assert not changed.signed_off and changed.needs_attention
    assert changed.result["review"]["signed_off_by"] is None
    # A new class signed off in the same correction: the new reviewer's sign-off.
    again = store.correct(
        changed.id, Correction("board", reported_class="EWS", signed_off=True), corrected_by="y"
    )
    review = again.result["review"]
    assert again.signed_off and (review["signed_off_by"], review["signed_off_at"]) == (
        "y",
        review["corrected_at"],
    )


def test_unknown_results_and_classes_are_refused(store, new_result):
    with pytest.raises(ResultNotFoundError, match="no stored result has the id"):
        store.correct("0" * 32, Correction("why", comment="c"), corrected_by="dr-x")
    original = _record(store, new_result("A-1"))
    with pytest.raises(CorrectionError, match="not a class of the model") as caught:
        store.correct(original.id, Correction("why", reported_class="NOPE"), corrected_by="x")
    assert (caught.value.field, caught.value.type) == ("reported_class", "unknown_class")
    assert store.get(original.id).superseded_by is None


@pytest.mark.parametrize(
    ("fields", "field", "type_"),
    [
        ({"reason": "  ", "comment": "c"}, "reason", "missing_reason"),
        ({"reason": "x" * 2001, "comment": "c"}, "reason", "too_long"),
        ({"reason": "why", "comment": "x" * 4001}, "comment", "too_long"),
        (
            {"reason": "why", "reclassification_verdict": "maybe"},
            "reclassification_verdict",
            "unknown_verdict",
        ),
        ({"reason": "why", "comment": "   "}, None, "nothing_to_correct"),
        ({"reason": "why"}, None, "nothing_to_correct"),
    ],
)
def test_a_correction_is_checked(fields, field, type_):
    with pytest.raises(CorrectionError) as caught:
        Correction(**fields)
    assert caught.value.field == field
    assert caught.value.type == type_


def test_amend_leaves_its_input_alone(new_result):
    result = new_result("A-1").result
    snapshot = repr(result)
    amend(
        result,
        Correction("why", reclassification_verdict="reclassified"),
        supersedes_id="1" * 32,
        corrected_by=None,
        corrected_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert repr(result) == snapshot


def test_a_resubmission_after_a_correction_gets_the_correction(store, new_result):
    original = _record(store, new_result("A-1"), request_id="r1")
    first = store.correct(original.id, Correction("one", comment="1"), corrected_by="dr-x")
    second = store.correct(first.id, Correction("two", comment="2"), corrected_by="dr-x")
    again = _record(store, new_result("A-1"), request_id="r2")
    assert again.id == second.id and again.resubmitted
    assert store.deliveries("r2") == [(second.id, True)]
    # And nothing new was stored: the original still blocks a second original.
    assert len(store.find(ResultQuery(accession="A-1"))) == 1
