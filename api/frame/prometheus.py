"""Prometheus metrics of the service, served at ``GET /metrics``.

Each app holds its own registry (so that tests can build several apps), with

* ``sarcoma_http_requests_total{method, route, status}`` and
  ``sarcoma_http_request_duration_seconds{method, route}``: every request,
  labelled by the route *template* (never a path holding an accession);
* ``sarcoma_classifications_total{decision, class}``: one per classified
  profile, by decision and top class;
* ``sarcoma_no_match_total`` and ``sarcoma_out_of_distribution_total``: the
  numerators of the no-match and out-of-distribution rates (divide by
  ``sum(sarcoma_classifications_total)``);
* ``sarcoma_model_info{name, version, run_id, source}``: 1 for the served model;
* ``sarcoma_model_reloads_total{outcome}``, ``sarcoma_auth_failures_total{reason}``
  and ``sarcoma_rate_limited_total``.

Counters live in one process: with several replicas, Prometheus scrapes
each one and sums (``sum by (decision) (rate(sarcoma_classifications_total[5m]))``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.frame.request_id import route_template
from api.frame.scope_middleware import ScopeMiddleware

__all__ = ["CONTENT_TYPE_LATEST", "MetricsMiddleware", "ServiceMetrics"]


class ModelIdentity(Protocol):
    """What the metrics say of the served model (:class:`api.served_model.loader.ModelInfo`)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def run_id(self) -> str | None: ...

    @property
    def public_source(self) -> str: ...


# Seconds; a 10,000-CpG profile takes ~10 ms, a 1,000-profile Arrow batch ~0.4 s.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

# Label values must stay few: a client may send any method name.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ServiceMetrics:
    """The service's metrics, in a registry of their own.

    Parameters
    ----------
    registry : CollectorRegistry, optional
        Where to register; a fresh registry by default.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        reg = self.registry
        self.requests = Counter(
            "sarcoma_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=reg,
        )
        self.latency = Histogram(
            "sarcoma_http_request_duration_seconds",
            "Time from request to the end of the response, by method and route template.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.classifications = Counter(
            "sarcoma_classifications",
            "Classified profiles by decision and top class.",
            ["decision", "class"],
            registry=reg,
        )
        self.no_match = Counter(
            "sarcoma_no_match", "Profiles whose decision was no_match.", registry=reg
        )
        self.out_of_distribution = Counter(
            "sarcoma_out_of_distribution",
            "Profiles flagged as unlike the reference cohort.",
            registry=reg,
        )
        self.model_info = Gauge(
            "sarcoma_model_info",
            "The served model (value 1), by name, version, run id and source.",
            ["name", "version", "run_id", "source"],
            registry=reg,
        )
        self.model_reloads = Counter(
            "sarcoma_model_reloads",
            "Model reloads by outcome (swapped, unchanged, failed).",
            ["outcome"],
            registry=reg,
        )
        self.auth_failures = Counter(
            "sarcoma_auth_failures",
            "Requests refused by authentication or authorisation, by reason.",
            ["reason"],
            registry=reg,
        )
        self.rate_limited = Counter(
            "sarcoma_rate_limited", "Requests refused by the per-key rate limit.", registry=reg
        )

    def observe_results(self, results: Iterable[dict]) -> None:
        """Count classified profiles (results as ``POST /v1/classify`` returns them)."""
        for result in results:
            classification = result["classification"]
            decision = classification["decision"]
            self.classifications.labels(decision, classification["top_class"]).inc()
            if decision == "no_match":
                self.no_match.inc()
            if classification["out_of_distribution"]:
                self.out_of_distribution.inc()

    def set_model(self, info: ModelIdentity) -> None:
        """Report ``info`` as the served model (and no other)."""
        self.model_info.clear()
        source = info.public_source  # /metrics is open: no server path
        self.model_info.labels(info.name, info.version, info.run_id or "", source).set(1)

    def render(self) -> bytes:
        """The registry in Prometheus' text exposition format."""
        return generate_latest(self.registry)


class MetricsMiddleware(ScopeMiddleware):
    """Count every HTTP request and time it, by route template and status.

    Parameters
    ----------
    app : ASGI application
    metrics : ServiceMetrics
    """

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = route_template(scope)
            method = scope["method"] if scope["method"] in _METHODS else "other"
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
