"""The review pages in headless Chromium: sign in, submit a file, read the case, print it.

Also the API's documentation pages, which must render with no request leaving the machine.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.api.builders import TinyWorld

pytestmark = pytest.mark.browser

PANELS = (
    "panel-decision",
    "panel-sample",
    "panel-scores",
    "panel-families",
    "panel-meaning",
    "panel-reclassification",
    "panel-fusion",
    "panel-dsrct",
    "panel-embedding",
    "panel-provenance",
)


def _sign_in(page, server, key: str) -> None:
    page.goto(f"{server.url}/ui/")
    assert "/ui/login" in page.url  # no key yet: sent to the sign-in page
    page.fill("#api_key", key)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(re.compile(r"/ui/$"))


def _profile_csv(world: TinyWorld, path: Path) -> Path:
    betas = world.betas("DSRCT", seed=21)
    betas[world.cpgs[3]] = None  # one failed probe: an empty cell
    lines = ["probe_id\tbeta"] + [f"{k}\t{'' if v is None else v}" for k, v in betas.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_submit_then_review_the_case_page(
    page, live_server, world, tmp_path, console_errors, artifacts
):
    _sign_in(page, live_server, live_server.lis_key)
    page.click("[data-testid=nav-submit]")
    page.set_input_files("#profile_file", str(_profile_csv(world, tmp_path / "case.tsv")))
    page.fill("#sample_id", "BROWSER-0001")
    page.fill("#diagnosis", "Ewing sarcoma")
    page.fill("input[name=break_apart_gene]", "EWSR1")
    page.fill("input[name=ihc_marker]", "WT1")
    page.select_option("select[name=ihc_epitope]", "N-terminal")
    page.select_option("select[name=ihc_result]", "negative")
    page.click("[data-testid=submit-button]")
    page.wait_for_url(re.compile(r"/ui/cases/[0-9a-f]{32}$"))

    for panel in PANELS:
        assert page.locator(f"[data-testid={panel}]").is_visible(), panel
    assert page.locator("[data-testid=sample-id]").inner_text() == "BROWSER-0001"
    assert page.locator("[data-testid=array-type]").inner_text() == "450k"
    assert page.locator("[data-testid=decision]").inner_text() == "match"
    assert page.locator("[data-testid=reclassification-verdict]").inner_text() == "reclassified"
    assert "Ewing sarcoma" in page.locator("[data-testid=submitted-diagnosis]").inner_text()
    assert page.locator("[data-testid=fusion-status]").inner_text() == "consistent"
    # the break-apart is listed as evidence for the call, with its weight and reason
    assert "compatible" in page.locator("[data-testid=evidence-for]").inner_text()
    assert "does not name the partner" in page.locator("[data-testid=evidence-for]").inner_text()
    assert "EWSR1::WT1" in page.locator("[data-testid=recommended-test]").inner_text()
    assert "classified correctly" in page.locator("[data-testid=score-meaning]").inner_text()

    # The threshold marker sits at 0.9 of the class-score axis.
    chart = page.locator("[data-testid=class-scores-chart]")
    marker = chart.locator("[data-testid=threshold-marker]")
    assert marker.get_attribute("data-threshold") == "0.9"
    line = marker.locator("line").bounding_box()
    grid = chart.locator("line.grid")
    zero, one = grid.first.bounding_box(), grid.last.bounding_box()
    assert line and zero and one
    assert (line["x"] - zero["x"]) / (one["x"] - zero["x"]) == pytest.approx(0.9, abs=0.01)
    top_bar = chart.locator("[data-testid=score-bar] rect").first.bounding_box()
    assert top_bar and top_bar["x"] + top_bar["width"] > line["x"]  # the top class passes it

    # The case is on the map, among the reference cohort.
    assert page.locator("[data-testid=embedding-case]").count() == 1
    assert page.locator("[data-testid=embedding-map] circle.dot").count() == 50
    page.screenshot(path=str(artifacts / "case_page.png"), full_page=True)

    # The printable version: no navigation on paper.
    page.click("[data-testid=print-link]")
    page.wait_for_url(re.compile(r"/print$"))
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert page.locator("[data-testid=threshold-marker]").first.is_visible()
    page.screenshot(path=str(artifacts / "case_print.png"), full_page=True)
    page.pdf(path=str(artifacts / "case_print.pdf"), format="A4")
    page.emulate_media(media="screen")

    # The worklist lists it, needing attention (reclassified), and links back.
    page.goto(f"{live_server.url}/ui/")
    row = page.locator("[data-testid=worklist-row]", has_text="BROWSER-0001")
    assert row.count() == 1
    assert "reclassified" in row.inner_text()
    page.screenshot(path=str(artifacts / "worklist.png"), full_page=True)
    row.locator("[data-testid=case-link]").click()
    page.wait_for_url(re.compile(r"/ui/cases/"))
    assert console_errors == []


def test_a_bad_file_is_explained_on_the_page(page, live_server, tmp_path, artifacts):
    _sign_in(page, live_server, live_server.lis_key)
    page.goto(f"{live_server.url}/ui/submit")
    bad = tmp_path / "bad.csv"
    bad.write_text("probe_id,beta\ncg00000029,0.4\ncg00000108,high\n")
    page.set_input_files("#profile_file", str(bad))
    page.fill("#sample_id", "BROWSER-BAD")
    with page.expect_response(re.compile(r"/ui/submit$")) as answer:
        page.click("[data-testid=submit-button]")
    assert answer.value.status == 422
    message = page.locator("[data-testid=form-error]").inner_text()
    assert "line 3" in message and "not a number" in message
    assert page.locator("#sample_id").input_value() == "BROWSER-BAD"  # the form keeps its fields
    page.screenshot(path=str(artifacts / "submit_error.png"), full_page=True)


def test_a_reviewer_reads_the_worklist_but_cannot_submit(page, live_server, console_errors):
    _sign_in(page, live_server, live_server.reviewer_key)
    assert page.locator("[data-testid=worklist]").is_visible()
    assert page.locator("[data-testid=nav-submit]").count() == 0  # no link to a page it cannot use
    with page.expect_response(re.compile(r"/ui/submit$")) as answer:
        page.goto(f"{live_server.url}/ui/submit")
    assert answer.value.status == 403
    assert "cannot submit" in page.locator("[data-testid=error-page]").inner_text()


@pytest.mark.parametrize(
    ("path", "title_selector"),
    [("/docs", ".swagger-ui .info .title"), ("/redoc", "h1")],
)
def test_docs_pages_render_offline(
    page, live_server, console_errors, artifacts, path, title_selector
):
    # Labs have no internet: every request the page makes must go to the service itself.
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}{path}", wait_until="networkidle")
    title = page.locator(title_selector).first
    title.wait_for()
    assert "Sarcoma methylation classifier" in title.inner_text()
    page.wait_for_load_state("networkidle")  # the images the rendered page asked for
    page.screenshot(path=str(artifacts / f"api{path.replace('/', '_')}.png"))
    # A blob: URL (ReDoc's web worker) is made in the page from its own script.
    outside = [
        url for url in requested if not url.removeprefix("blob:").startswith(f"{live_server.url}/")
    ]
    assert outside == []
    assert f"{live_server.url}/openapi.json" in requested
    assert console_errors == []
