"""A configuration error stops start-up with one line; a bug keeps its traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest

import api.main
from api.main import create_app

REPO = Path(__file__).resolve().parents[3]


def _start(app) -> list[dict]:
    """Run the app's lifespan start-up as uvicorn does; return what the app sent."""
    sent: list[dict] = []
    startup = [{"type": "lifespan.startup"}]

    async def receive():
        if startup:
            return startup.pop()
        await anyio.sleep_forever()

    async def send(message):
        sent.append(message)

    async def main():
        with pytest.raises(Exception):  # noqa: B017 - the lifespan re-raises what failed
            await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)

    anyio.run(main)
    return sent


def _failure(sent: list[dict]) -> str:
    (failed,) = [m for m in sent if m["type"] == "lifespan.startup.failed"]
    return failed["message"]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"model_path": Path("/nonexistent/bundle")}, "no model bundle at /nonexistent/bundle"),
        ({"database_url": "nonsense://x"}, "cannot use the database nonsense://x"),
        (
            {"database_url": "postgresql+psycopg://svc:s3cret@127.0.0.1:1/db"},
            "cannot use the database postgresql+psycopg://svc:***@127.0.0.1:1/db",
        ),
    ],
)
def test_a_configuration_error_is_one_line(settings, change, says):
    message = _failure(_start(create_app(settings.model_copy(update=change))))
    assert message.startswith("cannot start the service: ") and says in message
    assert "\n" not in message and "Traceback" not in message and "s3cret" not in message


def test_a_bug_at_start_up_keeps_its_traceback(settings, monkeypatch):
    def broken(_settings):
        raise RuntimeError("a bug in the loader")

    monkeypatch.setattr(api.main, "load_served_model", broken)
    message = _failure(_start(create_app(settings)))
    assert message.startswith("Traceback") and "RuntimeError: a bug in the loader" in message


@pytest.mark.slow
def test_uvicorn_logs_the_line_and_exits_3(tmp_path):
    # The whole path, as an operator sees it: a setting that is not a number.
    env = {"PATH": "/usr/bin:/bin", "MAX_BATCH": "lots", "MODEL_PATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--port", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3
    assert "cannot start the service: a setting is invalid (MAX_BATCH: " in done.stderr
    assert "Traceback" not in done.stderr
