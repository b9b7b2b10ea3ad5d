"""``POST /ui/cases/{id}/review``: correcting and signing off a result from its case page."""

from __future__ import annotations

import re
import uuid

import pytest

from api.security import SESSION_COOKIE

NO_HEADER = {"Authorization": ""}


def _classify(client, world, label="DSRCT", **extra) -> str:
    """A stored result; with ``diagnosis`` "Ewing sarcoma" a DSRCT needs attention."""
    profile = {"sample_id": f"RV-{uuid.uuid4().hex[:8]}", "betas": world.betas(label, seed=5)}
    response = client.post("/v1/classify", json={"profiles": [profile | extra]})
    assert response.status_code == 200, response.text
    return response.json()["results"][0]["result_id"]


@pytest.fixture
def reviewer_cookie(client, page_session):
    """The browser of a signed-in reviewer: a session in the cookie, no header."""
    client.cookies.set(SESSION_COOKIE, page_session("reviewer", "dr-page"))
    yield client
    client.cookies.clear()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, "the review form carries its CSRF token"
    return found.group(1)


def _review(client, result_id: str, page: str | None = None, headers=NO_HEADER, **form):
    """Post the review form of ``result_id``, with the token of ``page`` (opened now if None)."""
    if page is None:
        opened = client.get(f"/ui/cases/{result_id}", headers=NO_HEADER)
        assert opened.status_code == 200
        page = opened.text
    fields = {"csrf_token": _csrf(page)} | form
    return client.post(
        f"/ui/cases/{result_id}/review", data=fields, headers=headers, follow_redirects=False
    )


def _new_version(response) -> str:
    """The result id of the version a stored review opens."""
    assert response.status_code == 303, response.text
    return response.headers["location"].removeprefix("/ui/cases/")


def test_a_reviewer_signs_a_result_off_from_its_page(reviewer_cookie, world):
    client = reviewer_cookie
    original = _classify(client, world, diagnosis="Ewing sarcoma")  # reclassified: attention
    page = client.get(f"/ui/cases/{original}", headers=NO_HEADER).text
    assert 'data-testid="review-form"' in page and "it leaves the top of the worklist" in page
    response = _review(client, original, reason="tumour board agrees", sign_off="sign_off")
    corrected = _new_version(response)
    assert corrected != original
    # The API says what the page stored: a sign-off by the signed-in reviewer, nothing else.
    stored = client.get(f"/v1/results/{corrected}", headers={}).json()
    review = stored["result"]["review"]
    assert (review["signed_off"], review["signed_off_by"], review["reason"]) == (
        True,
        "dr-page",
        "tumour board agrees",
    )
    assert review["amends_interpretation"] is False and stored["needs_attention"] == []
    new_page = client.get(f"/ui/cases/{corrected}", headers=NO_HEADER).text
    assert 'data-testid="signed-off"' in new_page
    assert "withdraw the sign-off" in new_page  # the next review may withdraw it
    # The old version is read-only: no form on a superseded result.
    assert (
        'data-testid="review-form"'
        not in client.get(f"/ui/cases/{original}", headers=NO_HEADER).text
    )


def test_a_review_sets_verdict_class_and_comment(reviewer_cookie, world):
    client = reviewer_cookie
    original = _classify(client, world, diagnosis="Ewing sarcoma")
    response = _review(
        client,
        original,
        reason="RNA-NGS found EWSR1::WT1",
        verdict="confirmed",
        reported_class="DSRCT",
        comment="Diagnosis revised at the board.\r\nSee report 17.",
    )
    corrected = _new_version(response)
    result = client.get(f"/v1/results/{corrected}", headers={}).json()["result"]
    assert result["reclassification"]["verdict"] == "confirmed"
    assert result["reclassification"]["service_verdict"] == "reclassified"
    assert result["review"]["reported_class"] == "DSRCT"
    # Browsers send a textarea's line breaks as CRLF: stored as LF, as the API's clients send.
    assert result["review"]["comment"] == "Diagnosis revised at the board.\nSee report 17."
    assert result["review"]["signed_off"] is False


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"reason": "  ", "sign_off": "sign_off"}, "Give a reason for the review"),
        ({"reason": "why", "verdict": "maybe"}, "Diagnosis check: Input should be"),
        ({"reason": "why", "reported_class": "NOPE"}, "reported_class &#39;NOPE&#39; is not a"),
        ({"reason": "why"}, "a correction must change something"),
        ({"reason": "why", "sign_off": "withdraw"}, "not signed off: this correction would"),
        ({"reason": "why", "sign_off": "maybe"}, "unknown sign-off choice"),
        ({"reason": "a\x07b", "sign_off": "sign_off"}, "control character"),
    ],
)
def test_a_refused_review_is_shown_on_the_page_and_stores_nothing(
    reviewer_cookie, world, form, says
):
    client = reviewer_cookie
    original = _classify(client, world)
    response = _review(client, original, **form)
    assert response.status_code == 422
    assert 'data-testid="review-error"' in response.text and says in response.text
    # What was typed is kept, so that it can be mended and sent again.
    if form["reason"].strip() and "\x07" not in form["reason"]:
        assert f">\n{form['reason']}</textarea>" in response.text
    assert client.get(f"/v1/results/{original}", headers={}).json()["superseded_by"] is None


def test_a_review_without_the_pages_csrf_token_is_refused(reviewer_cookie, world):
    client = reviewer_cookie
    original = _classify(client, world)
    forged = client.post(
        f"/ui/cases/{original}/review",
        data={"reason": "forged", "sign_off": "sign_off"},
        headers=NO_HEADER,
    )
    assert forged.status_code == 403 and "Form expired" in forged.text
    assert "Open the case page again" in forged.text
    assert client.get(f"/v1/results/{original}", headers={}).json()["superseded_by"] is None


def test_a_lis_key_gets_no_review_form_and_may_not_post_one(client, world):
    # The test client's default key is the LIS's; a LIS reads its own results.
    original = _classify(client, world)
    page = client.get(f"/ui/cases/{original}")
    assert page.status_code == 200 and 'data-testid="review-form"' not in page.text
    refused = client.post(
        f"/ui/cases/{original}/review", data={"reason": "x", "sign_off": "sign_off"}
    )
    assert refused.status_code == 403 and "cannot correct or sign off" in refused.text


def test_a_review_of_a_version_corrected_meanwhile_names_the_newest(reviewer_cookie, world):
    client = reviewer_cookie
    original = _classify(client, world)
    page = client.get(f"/ui/cases/{original}", headers=NO_HEADER).text
    newest = _new_version(_review(client, original, page, reason="first", comment="seen"))
    # A second reviewer had the same page open and sends a review of the old version.
    late = _review(client, original, page, reason="second", sign_off="sign_off")
    assert late.status_code == 409
    assert f"/ui/cases/{newest}" in late.text


def test_a_signed_off_result_can_be_signed_off_again_with_a_new_verdict(reviewer_cookie, world):
    client = reviewer_cookie
    original = _classify(client, world, diagnosis="Ewing sarcoma")
    signed = _new_version(_review(client, original, reason="agree", sign_off="sign_off"))
    page = client.get(f"/ui/cases/{signed}", headers=NO_HEADER).text
    assert "withdrawn if you change the verdict or class" in page
    assert "sign off again, as the reviewer of this version" in page
    # A new verdict signed off in the same review: still signed off, by this reviewer.
    again = _new_version(
        _review(client, signed, reason="board", verdict="confirmed", sign_off="sign_off")
    )
    review = client.get(f"/v1/results/{again}", headers={}).json()["result"]["review"]
    assert (review["signed_off"], review["signed_off_by"]) == (True, "dr-page")
    # Kept as "keep" beside a new verdict, the sign-off is withdrawn, as the page says.
    kept = _new_version(_review(client, again, reason="x", verdict="reclassified"))
    assert (
        client.get(f"/v1/results/{kept}", headers={}).json()["result"]["review"]["signed_off"]
        is False
    )


def test_a_review_from_another_site_is_refused(reviewer_cookie, world):
    client = reviewer_cookie
    original = _classify(client, world)
    cross_site = {**NO_HEADER, "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    forged = _review(client, original, headers=cross_site, reason="x", sign_off="sign_off")
    assert forged.status_code == 403 and "Sent from another site" in forged.text


def test_a_script_with_a_header_key_needs_no_page_token(client, api_key, world):
    original = _classify(client, world)
    response = client.post(
        f"/ui/cases/{original}/review",
        data={"reason": "scripted review", "sign_off": "sign_off"},
        headers=api_key("reviewer", "dr-script"),
        follow_redirects=False,
    )
    assert response.status_code == 303  # another site cannot make a browser send a header


def test_after_signing_in_again_the_review_address_opens_the_case(client, world):
    original = _classify(client, world)
    response = client.get(f"/ui/cases/{original}/review", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/ui/cases/{original}#review"
