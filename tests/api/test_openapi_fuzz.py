"""Schemathesis over the whole OpenAPI schema: no request, however odd, gets a 5xx.

Each operation is called with a key of the role it is meant for (admin
routes with an admin key, result reads with a reviewer key, the rest with
a LIS key), so that the generated inputs reach the handlers rather than
stopping at 401/403. The cases are sent through the session's test client
(whose lifespan has loaded the model); schemathesis' own pytest plugin and
ASGI loader are not used, as the former does not support this pytest and
the latter would enter the app's lifespan a second time.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 40
# Operations whose every call does the same (a reload loads the model: ~1 s).
FEW_EXAMPLES = {"/v1/admin/model/reload": 2}


def _role(path: str) -> str:
    if path.startswith("/v1/admin"):
        return "admin"
    if path.startswith(("/v1/results", "/ui")):
        return "reviewer"
    return "lis"


def test_no_server_errors(app, client, api_key):
    headers = {role: api_key(role, f"fuzz-{role}") for role in ("lis", "reviewer", "admin")}
    schema = schemathesis.openapi.from_dict(app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    failures: list[str] = []
    for operation in operations:
        _fuzz(operation, client, headers[_role(operation.path)], failures)
    assert failures == []


def _fuzz(operation, client, headers: dict[str, str], failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=FEW_EXAMPLES.get(operation.path, MAX_EXAMPLES),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        kwargs = case.as_transport_kwargs(base_url=str(client.base_url))
        kwargs.pop("cookies", None)
        kwargs["headers"] = {**kwargs.get("headers", {}), **headers}
        if isinstance(kwargs.get("data"), bytes):
            kwargs["content"] = kwargs.pop("data")
        response = client.request(**kwargs)
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{case.as_curl_command()[:300]}"
            )

    check()
