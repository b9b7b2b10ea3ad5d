"""``/ui/submit``: a profile file by hand, classified and stored like an API request."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import orjson
import pytest

from api.security import SESSION_COOKIE
from api.store import ResultQuery
from api.ui.page_access import csrf_token

_DATA_SAMPLES = Path(__file__).resolve().parents[3] / "data_samples"


def _table(world, separator="\t", label="DSRCT") -> bytes:
    betas = world.betas(label, seed=4)
    lines = [f"ID_REF{separator}beta"] + [f"{k}{separator}{v}" for k, v in betas.items()]
    return ("\n".join(lines) + "\n").encode()


def _post(client, content: bytes, filename="profile.tsv", headers=None, **fields):
    data = {"sample_id": f"SUB-{uuid.uuid4().hex[:8]}", **fields}
    return client.post(
        "/ui/submit",
        files={"profile_file": (filename, content, "text/plain")},
        data=data,
        headers=headers,
        follow_redirects=False,
    )


def test_the_form_lists_the_model_classes(client):
    page = client.get("/ui/submit")
    assert page.status_code == 200
    assert 'name="profile_file"' in page.text
    assert "desmoplastic small round cell tumour" in page.text


@pytest.mark.parametrize("separator", ["\t", ",", ";"])
def test_a_table_is_classified_stored_and_opened(client, world, separator):
    response = _post(client, _table(world, separator), fusion="EWSR1::WT1", fusion_method="rt_pcr")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/ui/cases/")
    stored = client.get(f"/v1/results/{location.rsplit('/', 1)[1]}").json()
    assert stored["result"]["classification"]["top_class"] == "DSRCT"
    assert stored["result"]["fusion_consistency"]["status"] == "confirmed"
    assert stored["client"] == "test-lis"
    assert client.app.state.results.get(stored["result_id"]).request_id == stored["request_id"]


def test_a_json_request_body_is_accepted(client, world):
    body = {"profiles": [{"sample_id": "FROM-FILE", "betas": world.betas("EWS", seed=2)}]}
    response = _post(client, orjson.dumps(body), filename="p.json", sample_id="", diagnosis="DSRCT")
    assert response.status_code == 303
    stored = client.get(f"/v1/results/{response.headers['location'].rsplit('/', 1)[1]}").json()
    assert stored["accession"] == "FROM-FILE"
    assert stored["result"]["reclassification"]["verdict"] == "reclassified"


def test_findings_in_both_the_file_and_the_form_are_refused_and_nothing_stored(client, world):
    # data_samples/dsrct_submitted_as_ewing.json with the tiny model's probes.
    sample = orjson.loads((_DATA_SAMPLES / "dsrct_submitted_as_ewing.json").read_bytes())
    profile = sample["profiles"][0] | {"sample_id": f"BOTH-{uuid.uuid4().hex[:8]}"}
    profile["betas"] = world.betas("DSRCT", seed=3)
    content = orjson.dumps({"profiles": [profile]})
    response = _post(client, content, filename="p.json", sample_id="", fusion="EWSR1::WT1")
    assert response.status_code == 422
    error = re.search(r'data-testid="form-error">([^<]*)<', response.text)
    assert error is not None
    assert error.group(1) == (
        "the file already gives the findings; leave the form&#39;s findings empty, "
        "or remove them from the file"
    )
    assert 'value="EWSR1::WT1"' in response.text  # the form keeps what was typed
    stored = client.app.state.results.find(ResultQuery(accession=profile["sample_id"]))
    assert stored == []


def test_the_form_says_a_json_file_s_own_fields_come_first(client):
    page = client.get("/ui/submit")
    hint = re.search(r'data-testid="json-fields-hint">(.*?)</p>', page.text, re.S)
    assert hint is not None
    assert "refused" in hint.group(1) and "findings" in hint.group(1)


def test_the_same_file_again_opens_the_stored_case(client, world):
    content = _table(world)
    first = _post(client, content, sample_id="SUB-AGAIN")
    again = _post(client, content, sample_id="SUB-AGAIN")
    assert again.headers["location"] == first.headers["location"] + "?resubmitted=true"
    page = client.get(again.headers["location"])
    assert 'data-testid="resubmitted-notice"' in page.text


@pytest.mark.parametrize(
    ("content", "filename", "fields", "status", "message"),
    [
        (b"", "p.tsv", {}, 422, "the file is empty"),
        (b"just some words\n", "p.txt", {}, 422, "neither JSON nor a table"),
        (b"probe_id,beta\ncg00000029,0.4\ncg00000108,high\n", "p.csv", {}, 422, "line 3"),
        (b"probe_id,beta\ncg00000029,1.7\n", "p.csv", {}, 422, "(line 2 of the file)"),
        (b"a,b,c\ncg00000029,0.1,0.2\n", "p.csv", {}, 422, "2 value columns"),
        (b'{"profiles": [', "p.json", {}, 422, "not valid JSON"),
        (b'{"profiles": [{}, {}]}', "p.json", {}, 422, "one at a time"),
        (b"probe_id,beta\ncg00000029,0.4\n", "p.csv", {"sample_id": " "}, 422, "accession id"),
        (b"probe_id,beta\ncg00000029,0.4\n", "p.csv", {}, 422, "at least"),
        # Latin-1, not UTF-8 ("é" is the byte 0xE9): named by its line, not a byte offset.
        (
            b"probe_id,beta\ncg00000029,0.4\ncg00000108,0.5 \xe9\n",
            "p.csv",
            {},
            422,
            "line 3 of the file holds the byte 0xE9",
        ),
        # Refused as the API refuses it, not cut to 500 characters and stored.
        (
            b"probe_id,beta\ncg00000029,0.4\n",
            "p.csv",
            {"sample_id": "S" * 501},
            422,
            "the sample id is longer than 500 characters",
        ),
        (
            b"probe_id,beta\ncg00000029,0.4\n",
            "p.csv",
            {"sample_id": "A\u0000B"},
            422,
            "control character U+0000",
        ),
    ],
)
def test_bad_files_are_explained_on_the_form(client, content, filename, fields, status, message):
    response = _post(client, content, filename=filename, **fields)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-testid="form-error"' in response.text
    assert message in response.text


@pytest.mark.parametrize(
    ("content", "filename", "where"),
    [
        # The pipeline's error names the row; the form names the line of the file.
        (b"# exported\n\nprobe_id,beta\ncg00000029,1.7\n", "p.csv", "(line 4 of the file)"),
        (b"probe_id\tbeta\r\n\r\ncg00000029\t0.2\r\ncg00000108\t-1\r\n", "p.tsv", "(line 4 of"),
        # A JSON file under another name is located by its field, not a line.
        (b'{"profiles": [{"betas": {"cg00000029": 1.7}}]}', "p.txt", "(profiles[0].betas.cg0000"),
    ],
)
def test_pipeline_errors_name_the_line_an_editor_shows(client, content, filename, where):
    response = _post(client, content, filename=filename)
    assert response.status_code == 422
    assert "outside [0, 1]" in response.text
    assert where in response.text


def test_a_bad_finding_is_explained_on_the_form(client, world):
    response = _post(client, _table(world), fusion="EWSR1::WT1", fusion_result="maybe")
    assert response.status_code == 422
    assert "findings[0]" in response.text


def test_a_missing_file_is_explained(client):
    response = client.post("/ui/submit", data={"sample_id": "X"})
    assert response.status_code == 422
    assert "choose a profile file" in response.text


def test_a_file_over_the_limit_is_refused_before_reading(client, override_settings, world):
    override_settings(max_body_bytes=1000)
    response = _post(client, _table(world) * 4)  # over the limit and the form's allowance
    assert response.status_code == 413
    assert "larger than this service accepts" in response.text


def test_a_reviewer_cannot_submit(client, world, api_key):
    response = _post(client, _table(world), headers=api_key("reviewer"))
    assert response.status_code == 403
    assert "cannot submit" in response.text


def test_a_cookie_form_needs_its_csrf_token(client, world, page_session):
    token = page_session("lis", "csrf-lis")
    no_header = {"Authorization": ""}
    client.cookies.set(SESSION_COOKIE, token)
    try:
        forged = _post(client, _table(world), headers=no_header)
        assert forged.status_code == 403
        assert "Form expired" in forged.text
        page = client.get("/ui/submit", headers=no_header).text
        expected = csrf_token(_FakeRequest({SESSION_COOKIE: token}))
        assert f'name="csrf_token" value="{expected}"' in page
        sent = _post(client, _table(world), headers=no_header, csrf_token=expected)
        assert sent.status_code == 303
    finally:
        client.cookies.clear()


class _FakeRequest:
    def __init__(self, cookies: dict[str, str]) -> None:
        self.cookies = cookies


@pytest.mark.parametrize("value", ["inf", "-inf", "1e309", "Infinity"])
def test_an_infinite_beta_value_is_refused_not_read_as_not_measured(client, world, value):
    # orjson writes an infinity as null ("not measured"); the API refuses it, so does the page.
    lines = _table(world, "\t").split(b"\n")
    lines[3] = lines[3].split(b"\t")[0] + b"\t" + value.encode()
    response = _post(client, b"\n".join(lines))
    assert response.status_code == 422, response.text
    assert "line 4: the beta value" in response.text and "not a finite number" in response.text
