# syntax=docker/dockerfile:1
# The classification service as a container image (see docs/deployment.md).
#
#   docker build -t sarcoma-classifier .
#
# Stage 1 builds wheels of the project and every dependency; stage 2 installs
# them into a slim image that runs the service as a non-root user.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY classifier ./classifier
COPY training ./training
COPY api ./api
# psycopg: the PostgreSQL driver of DATABASE_URL=postgresql+psycopg://... (and of MLflow's store).
RUN pip wheel --wheel-dir /wheels . "psycopg[binary]>=3.2"

FROM python:${PYTHON_VERSION}-slim AS runtime
# libgomp1: the OpenMP runtime that XGBoost's wheels expect from the system.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --uid 10001 sarcoma \
    && mkdir -p /data \
    && chown sarcoma /data
COPY --from=builder /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels \
        sarcoma-methylation-classifier "psycopg[binary]" \
    && rm -rf /wheels
ENV PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json \
    DATABASE_URL=sqlite:////data/service.db
# The code version stored with every result: an image has no .git to ask.
#   docker build --build-arg CODE_VERSION=$(git describe --always --dirty) -t sarcoma-classifier .
# Declared after the install, so that a new version rebuilds no layer above.
# Left empty, the package version is recorded.
ARG CODE_VERSION=
ENV CODE_VERSION=${CODE_VERSION}
# uvicorn trusts X-Forwarded-Proto/-For only from these addresses: set the
# load balancer's (FORWARDED_ALLOW_IPS, read by uvicorn itself) so that the
# service knows a request came over HTTPS and marks the review pages' cookie
# Secure.
ENV FORWARDED_ALLOW_IPS=127.0.0.1
USER sarcoma
WORKDIR /home/sarcoma
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
# uvicorn stops on SIGTERM: it stops accepting, answers the requests in
# flight (each stores its results before answering), then runs the shutdown.
# --no-access-log: the service logs requests itself, without paths or queries.
CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000", \
     "--no-access-log", "--timeout-graceful-shutdown", "60"]
