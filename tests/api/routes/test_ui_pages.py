"""The worklist and case pages, through the HTTP client (the browser tests drive Chromium)."""

from __future__ import annotations

import re
import uuid

import pytest

from api.routes import ui_pages, ui_submit
from api.security import SESSION_COOKIE
from api.ui import PageRoute


def _submit(client, world, label="DSRCT", prefix="UI", **extra) -> tuple[str, str]:
    accession = f"{prefix}-{uuid.uuid4().hex[:8]}"
    body = {"profiles": [{"sample_id": accession, "betas": world.betas(label, seed=9), **extra}]}
    response = client.post("/v1/classify", json=body)
    assert response.status_code == 200, response.text
    return accession, response.json()["results"][0]["result_id"]


@pytest.fixture
def reviewer(api_key) -> dict[str, str]:
    return api_key("reviewer", "dr-review")


def test_pages_without_a_key_send_the_browser_to_sign_in(client):
    response = client.get("/ui/", headers={"Authorization": ""}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login?next=/ui/"


def test_sign_in_keeps_a_session_never_the_key_in_an_http_only_cookie(client, api_key):
    token = api_key("reviewer")["Authorization"].split()[1]
    page = client.get("/ui/login", headers={"Authorization": ""})
    assert page.status_code == 200 and 'name="api_key"' in page.text
    response = _sign_in(client, token, "/ui/cases/x")
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/cases/x"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=sms_")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert token not in cookie and token[-43:] not in cookie
    client.cookies.clear()


def test_sign_out_ends_the_session_even_for_a_copy_of_the_cookie(client, api_key):
    token = api_key("reviewer", "dr-out")["Authorization"].split()[1]
    _sign_in(client, token, "/ui/")
    session = client.cookies[SESSION_COOKIE]
    no_key = {"Authorization": ""}
    assert client.get("/ui/", headers=no_key).status_code == 200
    signed_out = client.post("/ui/logout", headers=no_key, follow_redirects=False)
    assert signed_out.status_code == 303
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session)  # the copy an attacker kept
    try:
        again = client.get("/ui/", headers=no_key, follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"].startswith("/ui/login")
        assert client.get("/v1/results", headers=no_key).status_code == 401
    finally:
        client.cookies.clear()


def test_revoking_the_key_ends_its_sessions(client, app, page_session):
    session = page_session("reviewer", "dr-revoked")
    client.cookies.set(SESSION_COOKIE, session)
    try:
        no_key = {"Authorization": ""}
        assert client.get("/ui/", headers=no_key).status_code == 200
        (info,) = [k for k in app.state.api_keys.list() if k.client == "dr-revoked"]
        app.state.api_keys.revoke(info.id)
        # Another process would trust its answer for AUTH_CACHE_SECONDS; this one forgets it.
        app.state.page_sessions._cache.forget(lambda *_: False)
        assert client.get("/ui/", headers=no_key, follow_redirects=False).status_code == 303
    finally:
        client.cookies.clear()


def test_an_api_key_in_a_cookie_opens_nothing(client, api_key):
    token = api_key("reviewer", "dr-cookie")["Authorization"].split()[1]
    for name in (SESSION_COOKIE, "sarcoma_api_key"):  # the cookie of earlier versions too
        client.cookies.set(name, token)
        try:
            page = client.get("/ui/", headers={"Authorization": ""}, follow_redirects=False)
            assert page.status_code == 303
        finally:
            client.cookies.clear()


def _navigation(page: str) -> tuple[bool, bool, bool]:
    return (
        'data-testid="nav-worklist"' in page,
        'data-testid="nav-submit"' in page,
        'action="/ui/logout"' in page or "Sign out" in page,
    )


def test_the_sign_in_page_shows_no_navigation_before_signing_in(client):
    page = client.get("/ui/login", headers={"Authorization": ""})
    assert page.status_code == 200
    assert _navigation(page.text) == (False, False, False)
    refused = client.post("/ui/login", data={"api_key": "smc_nope"}, headers={"Authorization": ""})
    assert refused.status_code == 401
    assert _navigation(refused.text) == (False, False, False)


@pytest.mark.parametrize(
    ("role", "start", "links"),
    [
        # Only the pages the key may open: a reviewer's "Submit" link was a 403.
        ("reviewer", "/ui/", (True, False, True)),
        ("lis", "/ui/submit", (True, True, True)),  # a LIS reads its own results
    ],
)
def test_a_signed_in_user_gets_the_navigation_and_sign_out(
    client, page_session, role, start, links
):
    client.cookies.set(SESSION_COOKIE, page_session(role))
    try:
        page = client.get(start, headers={"Authorization": ""})
        assert page.status_code == 200
        assert _navigation(page.text) == links
    finally:
        client.cookies.clear()


def test_an_error_page_of_a_signed_in_user_keeps_sign_out(client, api_key):
    # An admin key reads no results: signing out is how to switch keys.
    page = client.get("/ui/", headers=api_key("admin"))
    assert page.status_code == 403
    assert _navigation(page.text) == (False, False, True)  # neither page is an admin's


def test_without_authentication_there_is_nothing_to_sign_out_of(client, override_settings):
    override_settings(auth_required=False)
    page = client.get("/ui/", headers={"Authorization": ""})
    assert page.status_code == 200
    assert _navigation(page.text) == (True, True, False)


def test_an_admin_key_is_refused_at_sign_in(client, api_key):
    # It would sign in and then open no page: say so at once, and keep no cookie.
    token = api_key("admin")["Authorization"].split()[1]
    response = client.post("/ui/login", data={"api_key": token}, headers={"Authorization": ""})
    assert response.status_code == 403
    assert "role &#39;admin&#39; cannot use these pages" in response.text
    assert "set-cookie" not in response.headers


def test_sign_in_with_a_bad_key_says_so(client):
    response = client.post("/ui/login", data={"api_key": "smc_nope"}, headers={"Authorization": ""})
    assert response.status_code == 401
    assert "unknown or has been revoked" in response.text


def _sign_in(client, token: str, next_path: str, **headers: str):
    """POST the sign-in form as a browser without a key would, not following the redirect."""
    return client.post(
        "/ui/login",
        data={"api_key": token, "next": next_path},
        headers={"Authorization": "", **headers},
        follow_redirects=False,
    )


def test_sign_in_never_redirects_off_the_service(client, api_key):
    token = api_key("reviewer")["Authorization"].split()[1]
    response = _sign_in(client, token, "https://elsewhere.example/")
    assert response.headers["location"] == "/ui/"
    client.cookies.clear()


@pytest.mark.parametrize(
    "sent_by",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a sibling host is another site too
        {"Origin": "https://elsewhere.example"},
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Origin": "https://testserver"},  # another scheme is another origin
        {"Origin": "http://testserver:8080"},  # and so is another port
        # The browser's own judgement decides, whatever Origin says.
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
    ],
)
def test_sign_in_from_another_site_is_refused(client, api_key, sent_by):
    token = api_key("reviewer")["Authorization"].split()[1]
    response = _sign_in(client, token, "/ui/", **sent_by)
    assert response.status_code == 403
    assert "not sent from this service" in response.text
    assert "set-cookie" not in response.headers
    assert SESSION_COOKIE not in client.cookies


@pytest.mark.parametrize(
    "sent_by",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://testserver"},
        {"Origin": "http://TestServer:80/"},  # the default port, spelt out
        {"Sec-Fetch-Site": "none"},  # typed or bookmarked: no page started it
    ],
)
def test_sign_in_from_the_service_own_page_works(client, api_key, sent_by):
    token = api_key("reviewer")["Authorization"].split()[1]
    response = _sign_in(client, token, "/ui/", **sent_by)
    assert response.status_code == 303
    assert response.headers["set-cookie"].startswith(f"{SESSION_COOKIE}=")
    client.cookies.clear()


def test_sign_out_from_another_site_is_refused(client, api_key):
    token = api_key("reviewer")["Authorization"].split()[1]
    _sign_in(client, token, "/ui/")
    refused = client.post(
        "/ui/logout", headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert "set-cookie" not in refused.headers
    signed_out = client.post(
        "/ui/logout", headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False
    )
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/ui/login"
    assert f'{SESSION_COOKIE}=""' in signed_out.headers["set-cookie"]
    client.cookies.clear()


def test_sign_in_returns_to_the_filtered_page_it_came_from(client, api_key):
    page = client.get(
        "/ui/?accession=S%2024&decision=match", headers={"Authorization": ""},
        follow_redirects=False,
    )  # fmt: skip
    assert page.status_code == 303
    login = page.headers["location"]
    assert login == "/ui/login?next=/ui/%3Faccession%3DS%252024%26decision%3Dmatch"
    token = api_key("reviewer")["Authorization"].split()[1]
    next_path = client.get(login, headers={"Authorization": ""})
    assert 'value="/ui/?accession=S%2024&amp;decision=match"' in next_path.text
    response = _sign_in(client, token, "/ui/?accession=S%2024&decision=match")
    # The space stays %20 (it was double-encoded to %2520), the filters stay.
    assert response.headers["location"] == "/ui/?accession=S%2024&decision=match"
    client.cookies.clear()


def _own_prefix() -> str:
    """An accession prefix of this test's own: its worklist is not filled by other tests."""
    return f"OWN{uuid.uuid4().hex[:6]}"


def test_the_worklist_puts_cases_needing_attention_first(client, world, reviewer):
    prefix = _own_prefix()
    quiet, _ = _submit(client, world, prefix=prefix)
    flagged, _ = _submit(client, world, prefix=prefix, diagnosis="Ewing sarcoma")
    later, _ = _submit(client, world, prefix=prefix, label="SS")
    page = client.get("/ui/", params={"accession": prefix}, headers=reviewer)
    assert page.status_code == 200
    order = [a for a in re.findall(r'data-testid="case-link">([^<]+)<', page.text)]
    assert order.index(flagged) < order.index(later) < order.index(quiet)
    assert "reclassified" in page.text


def test_worklist_filters(client, world, reviewer):
    accession, _ = _submit(client, world, label="SS")
    by_class = client.get("/ui/", params={"top_class": "SS"}, headers=reviewer).text
    assert accession in by_class and 'data-testid="case-link">UI-' in by_class
    assert '<span class="muted">(DSRCT)</span>' not in by_class  # no DSRCT row
    none = client.get(
        "/ui/", params={"decision": "no_match", "accession": accession}, headers=reviewer
    )
    assert 'data-testid="worklist-empty"' in none.text
    # A reviewer cannot submit: the empty list does not offer the submit page.
    assert 'href="/ui/submit"' not in none.text and "once a LIS sends profiles" in none.text
    assert client.get("/ui/", params={"fusion_status": ""}, headers=reviewer).status_code == 200
    # The sample id box finds ids by their start, in any case.
    start = accession[:7].lower()  # "ui-" and four of the eight hex digits
    by_start = client.get("/ui/", params={"accession": start}, headers=reviewer).text
    assert f'data-testid="case-link">{accession}<' in by_start
    assert f'value="{start}"' in by_start
    inside = client.get("/ui/", params={"accession": accession[3:]}, headers=reviewer).text
    assert 'data-testid="worklist-empty"' in inside


def test_an_unknown_filter_is_a_400_page(client, reviewer):
    response = client.get("/ui/", params={"decision": "perhaps"}, headers=reviewer)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Unknown decision" in response.text
    misspelt = client.get("/ui/", params={"top_class": "DSRTC"}, headers=reviewer)
    assert misspelt.status_code == 400
    assert _error_page(misspelt)[1].startswith("No class &#39;DSRTC&#39;: it is neither")


def _error_page(response) -> tuple[str, str]:
    assert response.headers["content-type"].startswith("text/html")
    found = re.search(
        r'data-testid="error-page">\s*<h1>([^<]*)</h1>\s*<p class="error-message">([^<]*)</p>',
        response.text,
    )
    assert found is not None, response.text[:300]
    assert 'href="/ui/static/ui.css"' in response.text  # in the pages' layout
    return found.group(1), found.group(2)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "/ui/?offset=-5",
            "The parameter &#39;offset&#39; of the address is invalid: "
            "input should be greater than or equal to 0.",
        ),
        (
            "/ui/?decision=match&offset=next",
            "The parameter &#39;offset&#39; of the address is invalid: "
            "input should be a valid integer, unable to parse string as an integer.",
        ),
        (
            "/ui/?offset=1000001",
            "The parameter &#39;offset&#39; of the address is invalid: "
            "input should be less than or equal to 1000000.",
        ),
        (
            f"/ui/cases/{'0' * 32}?resubmitted=perhaps",
            "The parameter &#39;resubmitted&#39; of the address is invalid: "
            "input should be a valid boolean, unable to interpret input.",
        ),
        (
            f"/ui/cases/{'0' * 65}/print",
            "The part &#39;result_id&#39; of the address is invalid: "
            "string should have at most 64 characters.",
        ),
    ],
)
def test_an_invalid_address_is_a_400_page_naming_the_parameter(client, reviewer, path, message):
    response = client.get(path, headers=reviewer)
    assert response.status_code == 400
    assert _error_page(response) == ("Invalid request", message)


def test_an_invalid_sign_in_form_is_a_400_page(client):
    response = client.post("/ui/login", data={"next": "/ui/"}, headers={"Authorization": ""})
    assert response.status_code == 400
    assert _error_page(response) == (
        "Invalid request",
        "The form field &#39;api_key&#39; is invalid: field required.",
    )


def test_an_invalid_address_without_a_key_still_goes_to_sign_in(client):
    response = client.get("/ui/?offset=-5", headers={"Authorization": ""}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login")


def test_every_page_route_answers_refused_parameters_with_a_page():
    pages = [r for router in (ui_pages.router, ui_submit.router) for r in router.routes]
    assert {"/ui/", "/ui/cases/{result_id}", "/ui/login", "/ui/submit"} <= {r.path for r in pages}
    assert [r.path for r in pages if not isinstance(r, PageRoute)] == []


def test_the_api_keeps_its_json_validation_errors(client, reviewer):
    response = client.get("/v1/results", params={"offset": -5}, headers=reviewer)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]


def test_a_lis_sees_only_its_own_cases(client, world, api_key):
    accession, result_id = _submit(client, world)
    other = api_key("lis", "lis-elsewhere")
    own, row = {"accession": accession}, f'data-testid="case-link">{accession}<'
    assert row not in client.get("/ui/", params=own, headers=other).text
    assert client.get(f"/ui/cases/{result_id}", headers=other).status_code == 404
    assert row in client.get("/ui/", params=own).text  # the submitting LIS


def test_an_admin_key_gets_a_403_page(client, api_key):
    response = client.get("/ui/", headers=api_key("admin"))
    assert response.status_code == 403
    assert "cannot read results" in response.text


def test_the_case_page_shows_every_panel(client, world, reviewer):
    accession, result_id = _submit(
        client,
        world,
        diagnosis="Ewing sarcoma",
        findings=[
            {"kind": "fusion", "name": "EWSR1::WT1", "method": "rt_pcr", "result": "detected"}
        ],
    )
    page = client.get(f"/ui/cases/{result_id}", headers=reviewer)
    assert page.status_code == 200
    for panel in (
        "panel-decision", "panel-sample", "panel-scores", "panel-families", "panel-meaning",
        "panel-reclassification", "panel-fusion", "panel-dsrct", "panel-embedding",
        "panel-provenance",
    ):  # fmt: skip
        assert f'data-testid="{panel}"' in page.text, panel
    assert page.text.count('data-testid="threshold-marker" data-threshold="0.9"') == 2
    assert f'data-testid="sample-id">{accession}<' in page.text
    assert 'data-testid="embedding-case"' in page.text
    assert "trained without nested cross-validation" in page.text  # the tiny model's card
    assert "ab" * 32 in page.text  # training data fingerprint
    assert 'class="explain"' in page.text


def test_the_dsrct_check_says_what_it_judges(client, world, reviewer):
    # EWSR1::WT1 on a tumour called Ewing sarcoma: the evidence for DSRCT is
    # confirmed, which must not read as "the check passed".
    _, result_id = _submit(client, world, label="EWS", findings=[
        {"kind": "fusion", "name": "EWSR1::WT1", "method": "rna_ngs", "result": "detected"}
    ])  # fmt: skip
    page = client.get(f"/ui/cases/{result_id}", headers=reviewer).text
    assert 'data-testid="dsrct-status">DSRCT evidence: EWSR1::WT1 shown</span>' in page
    assert 'class="badge badge-alert">flagged</span>' in page
    assert "DSRCT must be considered" in page


def test_the_case_page_escapes_what_was_submitted(client, world, reviewer):
    _, result_id = _submit(client, world, diagnosis="<script>alert(1)</script>")
    page = client.get(f"/ui/cases/{result_id}", headers=reviewer).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_printable_version(client, world, reviewer):
    _, result_id = _submit(client, world)
    page = client.get(f"/ui/cases/{result_id}/print", headers=reviewer)
    assert page.status_code == 200
    assert 'class="case print-view"' in page.text
    assert "data-print" in page.text
    css = client.get("/ui/static/ui.css").text
    assert "@media print" in css


def test_an_unknown_case_is_a_404_page(client, reviewer):
    response = client.get(f"/ui/cases/{'0' * 32}", headers=reviewer)
    assert response.status_code == 404
    assert "No such result" in response.text


def test_assets_are_local(client, world, reviewer):
    _, result_id = _submit(client, world)
    page = client.get(f"/ui/cases/{result_id}", headers=reviewer).text
    assert not re.search(r'(src|href)="(https?:)?//', page)
    for asset in ("/ui/static/ui.css", "/ui/static/ui.js", "/ui/static/favicon.svg"):
        assert client.get(asset).status_code == 200


def test_ui_without_a_slash_goes_to_the_worklist(client):
    response = client.get("/ui", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/ui/"


def test_the_worklist_names_the_classes(client, world, reviewer):
    _submit(client, world, label="SS")
    page = client.get("/ui/", headers=reviewer).text
    assert '<option value="SS" >synovial sarcoma (SS)</option>' in page


def test_the_worklist_pages_keep_the_filters(client, world, reviewer, monkeypatch):
    import api.routes.ui_pages as ui_routes

    monkeypatch.setattr(ui_routes, "_WORKLIST_LENGTH", 2)
    prefix = _own_prefix()
    for _ in range(3):
        _submit(client, world, label="SS", prefix=prefix)
    filters = {"top_class": "SS", "accession": prefix}
    first = client.get("/ui/", params=filters, headers=reviewer).text
    assert first.count('data-testid="worklist-row"') == 2
    assert 'data-testid="previous-page"' not in first
    (next_link,) = re.findall(r'href="([^"]+)" data-testid="next-page"', first)
    assert next_link == f"/ui/?top_class=SS&amp;accession={prefix}&amp;offset=2"
    second = client.get("/ui/", params={**filters, "offset": 2}, headers=reviewer).text
    assert 'data-testid="previous-page"' in second
    assert "results 3&ndash;" in second
    assert client.get("/ui/", params={"offset": -1}, headers=reviewer).status_code == 400


def test_a_corrected_case_shows_the_review_and_the_original_links_to_it(client, world, reviewer):
    _, result_id = _submit(client, world, diagnosis="Ewing sarcoma")
    response = client.post(
        f"/v1/results/{result_id}/corrections",
        json={"reason": "wrong diagnosis entered", "comment": "RNA-NGS: EWSR1::WT1"},
        headers=reviewer,
    )
    assert response.status_code == 201, response.text
    corrected_id = response.json()["result_id"]
    corrected = client.get(f"/ui/cases/{corrected_id}", headers=reviewer).text
    assert 'data-testid="panel-review"' in corrected
    assert "wrong diagnosis entered" in corrected and "RNA-NGS: EWSR1::WT1" in corrected
    assert f'href="/ui/cases/{result_id}"' in corrected
    original = client.get(f"/ui/cases/{result_id}", headers=reviewer).text
    assert 'data-testid="superseded-notice"' in original
    assert f'href="/ui/cases/{corrected_id}"' in original
    assert 'data-testid="panel-review"' not in original


def test_a_reviewers_verdict_and_class_show_on_the_case_and_the_worklist(client, world, reviewer):
    accession, result_id = _submit(client, world, label="DSRCT", diagnosis="DSRCT")
    response = client.post(
        f"/v1/results/{result_id}/corrections",
        json={
            "reason": "tumour board",
            "reclassification_verdict": "reclassified",
            "reported_class": "EWS",
        },
        headers=reviewer,
    )
    assert response.status_code == 201, response.text
    corrected_id = response.json()["result_id"]
    case = client.get(f"/ui/cases/{corrected_id}", headers=reviewer).text
    # The service's evidence is for its own verdict: it reads as such under the reviewer's.
    assert 'data-testid="reclassification-verdict">reclassified<' in case
    assert (
        'data-testid="service-evidence">Set on review. The service\'s verdict was confirmed:'
        in case
    )
    worklist = client.get(f"/ui/?accession={accession}", headers=reviewer).text
    assert worklist.count('data-testid="worklist-row"') == 1
    assert 'data-testid="corrected">corrected<' in worklist
    assert 'data-testid="reported-class">reported: Ewing sarcoma' in worklist
    uncorrected = client.get(f"/ui/cases/{_submit(client, world)[1]}", headers=reviewer).text
    assert 'data-testid="service-evidence"' not in uncorrected


def test_a_signed_off_case_leaves_the_attention_list_and_says_who(client, world, reviewer):
    accession, result_id = _submit(client, world, label="DSRCT", diagnosis="Ewing sarcoma")
    before = client.get(f"/ui/?accession={accession}", headers=reviewer).text
    assert "attention-row" in before and ">reclassified<" in before
    response = client.post(
        f"/v1/results/{result_id}/corrections",
        json={"reason": "reviewed at the tumour board", "signed_off": True},
        headers=reviewer,
    )
    assert response.status_code == 201, response.text
    worklist = client.get(f"/ui/?accession={accession}", headers=reviewer).text
    assert "attention-row" not in worklist
    assert 'data-testid="signed-off">signed off<' in worklist
    case = client.get(f"/ui/cases/{response.json()['result_id']}", headers=reviewer).text
    assert 'data-testid="attention"' not in case
    assert re.search(r'data-testid="signed-off"><th>Signed off</th><td>by dr-review, ', case)
    flags = re.search(r'data-testid="signed-off-flags">(.*?)</p>', case, re.S)
    assert flags and "Signed off by dr-review" in flags.group(1)
    assert ">reclassified<" in flags.group(1)


@pytest.mark.parametrize("path", ["/ui/login", "/ui/", f"/ui/cases/{'0' * 32}"])
def test_pages_cannot_be_framed_by_another_site(client, reviewer, path):
    page = client.get(path, headers=reviewer)  # the sign-in page, a list, an error page
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


def test_the_case_page_names_the_model_source_without_a_path(client, world, settings, api_key):
    body = {"profiles": [{"sample_id": "SRC-1", "betas": world.betas("CIC")}]}
    result_id = client.post("/v1/classify", json=body).json()["results"][0]["result_id"]
    page = client.get(f"/ui/cases/{result_id}", headers=api_key("reviewer", "dr-src")).text
    assert f'Loaded from</th><td class="mono">bundle {settings.bundle_path.name}<' in page
    assert str(settings.bundle_path.parent) not in page
