"""The FastAPI application: wiring only. Serve with ``uvicorn api.main:app``.

Configuration comes from the environment (see :mod:`api.settings`); the
model is loaded in the lifespan handler, so importing this module is cheap.
Prediction runs with one BLAS/OpenMP thread (``BLAS_THREADS``): on a few cores a
threaded single prediction is slower; scale with uvicorn workers instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from fastapi import FastAPI
from fastapi_standalone_docs import StandaloneDocs
from threadpoolctl import threadpool_limits

from api.frame.body_limit import BodyLimitMiddleware
from api.frame.body_timeout import BodyTimeoutMiddleware
from api.frame.errors import install_error_handlers
from api.frame.logging_config import configure_logging
from api.frame.memory import release_unused_memory
from api.frame.no_store import NoStoreMiddleware
from api.frame.prometheus import MetricsMiddleware, ServiceMetrics
from api.frame.request_id import RequestIdMiddleware
from api.frame.startup_errors import (
    CONFIGURATION_ERRORS,
    StartupErrorMiddleware,
    configuration_error_message,
    record_startup_error,
)
from api.frame.unexpected_errors import UnexpectedErrorMiddleware
from api.routes import admin, classify, fhir, health, metrics, model, results, ui_pages, ui_submit
from api.security.setup import install_access_control
from api.served_model.hot_swap import ModelSwapper
from api.served_model.loader import load_served_model
from api.served_model.model_identity import manifest_sha256
from api.settings import Settings, get_settings
from api.store import ResultStore, upgrade_database
from api.store.engine import DATABASE_ERRORS, database_error_message, make_engine
from api.ui import install_ui
from classifier.code_version import code_version

__all__ = ["app", "create_app"]

DESCRIPTION = """\
Calibrated sarcoma DNA-methylation classifier for laboratory information systems.
POST beta values of 450K, EPIC or EPICv2 profiles (JSON or Arrow) to `/v1/classify`;
each result holds QC, the calibrated call, a reclassification verdict against the
submitted diagnosis, a fusion-consistency check against the submitted findings, and
the model version. Errors are 4xx with `detail[].field` naming the offending field.
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Read settings, load the model and limit threads; fail start-up on any error."""
    settings: Settings | None = app.state.settings
    try:
        settings = settings or get_settings()
        app.state.settings = settings
        configure_logging(settings.log_level, settings.log_format)
        engine = app.state.db_engine = make_engine(settings.database_url)
        await anyio.to_thread.run_sync(upgrade_database, engine)
        app.state.results = ResultStore(engine, code_version=code_version(settings.code_version))
        # Hash the probe manifest now rather than in the first request.
        await anyio.to_thread.run_sync(manifest_sha256)
        await anyio.to_thread.run_sync(install_access_control, app.state, settings, engine)
        app.state.model = await anyio.to_thread.run_sync(load_served_model, settings)
    # Said in one line by StartupErrorMiddleware, not as a traceback.
    except CONFIGURATION_ERRORS as exc:
        record_startup_error(app.state, configuration_error_message(exc))
        raise
    except DATABASE_ERRORS as exc:
        said = database_error_message(settings.database_url, exc) if settings else None
        record_startup_error(app.state, said or configuration_error_message(exc))
        raise
    await anyio.to_thread.run_sync(release_unused_memory)  # the loading's scratch space
    app.state.metrics.set_model(app.state.model.info)
    swapper = ModelSwapper(app.state, settings, metrics=app.state.metrics)
    app.state.model_swapper = swapper
    poll = None
    if settings.model_poll_seconds > 0:
        poll = asyncio.create_task(swapper.poll(settings.model_poll_seconds))
    # After loading, so that the libraries the model imported are limited too.
    limits = threadpool_limits(limits=settings.blas_threads)
    app.state.cpu_limiter = anyio.CapacityLimiter(1)
    try:
        yield
    finally:
        # uvicorn runs this after the requests in flight have been answered.
        if poll is not None:
            poll.cancel()
        app.state.model = None
        limits.restore_original_limits()
        engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; ``settings`` defaults to the environment's, read at start-up."""
    app = FastAPI(
        title="Sarcoma methylation classifier",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    # /docs and /redoc load Swagger UI and ReDoc from files of an installed package
    # (served under /docs/ and /redoc/), not from a CDN: labs run the service without
    # internet. ReDoc's Google Fonts stay off for the same reason. It replaces FastAPI's
    # page functions process-wide, which is harmless while every app here has the same
    # docs URLs (tests/api/test_main.py checks the pages).
    StandaloneDocs(app=app)
    app.state.settings = settings
    app.state.model = None
    app.state.metrics = ServiceMetrics()
    # Innermost, so that a 413 carries the request id and is counted; the two
    # routes that stream their body check the limit themselves, with their own message.
    app.add_middleware(BodyLimitMiddleware, self_limited={"/v1/classify", "/ui/submit"})
    app.add_middleware(BodyTimeoutMiddleware)
    # Inside the metrics, which count the 500 or 499 it answers, and the request
    # id, whose id its log line carries.
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(NoStoreMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(StartupErrorMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(model.router)
    app.include_router(classify.router)
    app.include_router(admin.router)
    app.include_router(metrics.router)
    app.include_router(fhir.router)
    app.include_router(results.router)
    app.include_router(ui_pages.router)
    app.include_router(ui_submit.router)
    install_ui(app)
    return app


app = create_app()
