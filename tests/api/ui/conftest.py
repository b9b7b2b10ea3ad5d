"""Fixtures of the browser tests: the app served by uvicorn, and headless Chromium.

The app serves a tiny real model (with an evaluation and a reference map)
from a temporary database on a free loopback port. Chromium is Debian's
(``scripts/install_browser.sh``), driven by Playwright's Python client; the
tests are skipped, saying why, when either is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.main import create_app
from api.security import ApiKeyStore, Role
from api.settings import Settings
from api.store import upgrade_database
from api.store.engine import make_engine
from tests.api.builders import TinyWorld, fit_bundle

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives headless Chromium against the running service (slow)"
    )


@dataclass(frozen=True)
class LiveServer:
    """The running service: its URL and one key per role."""

    url: str
    lis_key: str
    reviewer_key: str
    admin_key: str


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, or skip (an error with ``REQUIRE_BROWSER=1``, as in CI)."""
    required = os.environ.get("REQUIRE_BROWSER") == "1"
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        reason = "Debian's chromium is not installed: run scripts/install_browser.sh"
        if required:
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def live_server(world: TinyWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The service on a free 127.0.0.1 port, with authentication on."""
    import uvicorn

    root = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{root / 'service.db'}"
    engine = make_engine(url)
    upgrade_database(engine)
    keys = ApiKeyStore(engine, cache_seconds=0)
    keys.create_schema()
    tokens = {role: keys.create(f"browser-{role}", role)[1] for role in Role}
    engine.dispose()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        model_path=fit_bundle(world, root / "bundle", evaluated=True),
        model_uri=None,
        database_url=url,
        rate_limit_per_second=0,
        log_format="text",
        log_level="WARNING",
    )
    # The server is handed a socket bound here: no other process can take its port meanwhile.
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    # A guard against a hang, not a speed bound: start-up takes seconds.
    deadline = time.monotonic() + 300
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(
            url=f"http://127.0.0.1:{port}",
            lis_key=tokens[Role.LIS],
            reviewer_key=tokens[Role.REVIEWER],
            admin_key=tokens[Role.ADMIN],
        )
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        listening.close()


@pytest.fixture(scope="module")
def browser(chromium_path: str):
    """Headless Chromium, launched once per module of browser tests.

    Playwright's synchronous API keeps an asyncio loop running in the main
    thread while it is open: held for the whole session, it would break
    every later test that runs an event loop (the suite passes in any order).
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors and uncaught page errors seen by :func:`page`."""
    return []


@pytest.fixture
def page(browser, console_errors: list[str]):
    """A fresh browser tab (own cookies) that records console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda exc: console_errors.append(str(exc)))
    yield tab
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots are kept (``test-artifacts/``, not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
