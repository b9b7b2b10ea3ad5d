"""The FastAPI application: wiring only. Serve with ``uvicorn api.main:app``.

Configuration comes from the environment (see :mod:`api.settings`); the
model is loaded in the lifespan handler, so importing this module is cheap.
Prediction runs with one BLAS/OpenMP thread (``BLAS_THREADS``): on a few cores a
threaded single prediction is slower; scale with uvicorn workers instead.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from fastapi import FastAPI
from threadpoolctl import threadpool_limits

from api.errors import install_error_handlers
from api.model_loader import load_served_model
from api.request_id import RequestIdMiddleware
from api.routes import classify, health, model
from api.settings import Settings, get_settings

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
    settings: Settings = app.state.settings or get_settings()
    app.state.settings = settings
    _configure_logging(settings.log_level)
    app.state.model = await anyio.to_thread.run_sync(load_served_model, settings)
    # After loading, so that the libraries the model imported are limited too.
    limits = threadpool_limits(limits=settings.blas_threads)
    app.state.cpu_limiter = anyio.CapacityLimiter(1)
    try:
        yield
    finally:
        app.state.model = None
        limits.restore_original_limits()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; ``settings`` defaults to the environment's, read at start-up."""
    app = FastAPI(
        title="Sarcoma methylation classifier",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.model = None
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(model.router)
    app.include_router(classify.router)
    return app


def _configure_logging(level: str) -> None:
    # The service's own loggers; uvicorn configures its own. Entry point only.
    logger = logging.getLogger("api")
    logger.setLevel(level)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


app = create_app()
