"""Service configuration: one settings class, read from the environment at start-up.

Every setting is an environment variable of the same name in upper case
(``MODEL_PATH``, ``MAX_BATCH``, ...); a ``.env`` file in the working
directory is read too. Bad values fail at start-up with a message naming
the variable, never at the first request.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from classifier.quality_gate import DEFAULT_MIN_COVERAGE

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_MODEL_PATH",
    "MODEL_URI_PATTERN",
    "Settings",
    "get_settings",
]

#: Where ``python -m training.train`` writes its bundle by default.
DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "sarcoma-classifier"

#: The embedded database of a single-machine installation (``work/`` is not committed).
DEFAULT_DATABASE_URL = f"sqlite:///{Path(__file__).resolve().parents[1] / 'work' / 'service.db'}"

#: ``models:/NAME@ALIAS`` or ``models:/NAME/VERSION``.
MODEL_URI_PATTERN = re.compile(
    r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/@]+)|/(?P<version>\d+))$"
)


class Settings(BaseSettings):
    """Configuration of the classification service.

    Attributes
    ----------
    model_path : Path or None
        Bundle directory to serve (``MODEL_PATH``). Used when ``MODEL_URI``
        is not set; defaults to ``models/sarcoma-classifier`` in the repository.
    model_uri : str or None
        MLflow registry URI (``MODEL_URI``): ``models:/NAME@ALIAS`` or
        ``models:/NAME/VERSION``; an alias is resolved to a fixed version at load.
    mlflow_tracking_uri : str or None
        Tracking and registry store (``MLFLOW_TRACKING_URI``); defaults to
        the project's embedded ``sqlite:///<repo>/mlflow.db``.
    max_body_bytes : int
        Largest request body accepted, enforced while reading (default 64 MiB).
    body_timeout_seconds : float
        Longest wait for the next part of a request body before it is
        answered 408 (default 30 s): a body that stops arriving holds no
        connection for good.
    max_batch : int
        Most profiles in one request (default 1,000).
    min_cpg_fraction : float
        Share of the model's CpGs a profile must measure to be classified (default 0.5).
    warn_cpg_fraction : float
        Below this share of measured model CpGs a result carries a
        ``low_coverage`` warning (default 0.9).
    min_verdict_coverage : float
        Below this share of measured model CpGs the call is not used: the
        decision is ``no_match`` and the verdict ``not_classifiable``
        (default :data:`classifier.quality_gate.DEFAULT_MIN_COVERAGE`, 0.9); a
        model bundle that states its own value overrides it.
    top_classes : int
        Classes listed in ``classification.top_classes`` unless the request asks otherwise.
    blas_threads : int
        BLAS/OpenMP threads used for prediction (default 1: on a few cores,
        threading a single prediction is slower; scale with processes).
    log_level : str
        Level of the service's own loggers.
    log_format : {"json", "text"}
        ``json`` (default): one JSON object per log line, with the request id.
    database_url : str
        SQLAlchemy URL of the service's database (``DATABASE_URL``): API keys
        and results. Default: the SQLite file ``work/service.db``; a deployment
        with several replicas uses PostgreSQL (``postgresql+psycopg://...``).
    auth_required : bool
        Whether every data endpoint needs an API key (default true). False
        only for local experiments: every request may then do everything.
    auth_cache_seconds : float
        How long a checked key is trusted without the database (default 5 s;
        also the longest a revoked key keeps working).
    rate_limit_per_second : float
        Sustained requests per second per key and process (default 20; 0 = no limit).
    rate_limit_burst : int
        Requests a key may send at once (default 100).
    model_poll_seconds : float
        With ``MODEL_URI`` naming an alias: how often to check whether the
        alias moved and hot-swap to the new version (default 0 = never).
    fhir_system_base : str
        Namespace URI of the service's FHIR code systems (a lab sets its own).
    code_version : str or None
        Code version recorded with every result (``CODE_VERSION``; the
        container image sets it at build time). Unset: ``git describe`` of
        the checkout, else the package version.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    model_path: Path | None = None
    model_uri: str | None = None
    mlflow_tracking_uri: str | None = None
    max_body_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    body_timeout_seconds: float = Field(default=30.0, gt=0.0)
    max_batch: int = Field(default=1000, gt=0)
    min_cpg_fraction: float = Field(default=0.5, gt=0.0, le=1.0)
    warn_cpg_fraction: float = Field(default=0.9, gt=0.0, le=1.0)
    min_verdict_coverage: float = Field(default=DEFAULT_MIN_COVERAGE, ge=0.0, le=1.0)
    top_classes: int = Field(default=5, ge=1)
    blas_threads: int = Field(default=1, ge=1)
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"
    database_url: str = DEFAULT_DATABASE_URL
    auth_required: bool = True
    auth_cache_seconds: float = Field(default=5.0, ge=0.0)
    rate_limit_per_second: float = Field(default=20.0, ge=0.0)
    rate_limit_burst: int = Field(default=100, ge=1)
    model_poll_seconds: float = Field(default=0.0, ge=0.0)
    fhir_system_base: str = Field(
        default="https://sarcoma-classifier.invalid/fhir", pattern=r"^(https?://|urn:)\S+$"
    )
    code_version: str | None = Field(default=None, max_length=64)

    @field_validator("model_uri")
    @classmethod
    def _check_model_uri(cls, value: str | None) -> str | None:
        if value is not None and not MODEL_URI_PATTERN.match(value):
            raise ValueError(
                "MODEL_URI must look like models:/NAME@ALIAS or models:/NAME/VERSION, "
                f"got {value!r}"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError:
            raise ValueError(
                "DATABASE_URL must be an SQLAlchemy URL such as sqlite:///work/service.db or "
                f"postgresql+psycopg://user:password@host/db; got {value!r}"
            ) from None
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"}:
            raise ValueError(
                f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {value!r}"
            )
        return level

    @model_validator(mode="after")
    def _one_model_source(self) -> Settings:
        if self.model_path is not None and self.model_uri is not None:
            raise ValueError("set MODEL_PATH or MODEL_URI, not both")
        return self

    @model_validator(mode="after")
    def _poll_needs_an_alias(self) -> Settings:
        match = MODEL_URI_PATTERN.match(self.model_uri or "")
        if self.model_poll_seconds > 0 and not (match and match["alias"]):
            raise ValueError(
                "MODEL_POLL_SECONDS needs MODEL_URI naming an alias (models:/NAME@ALIAS); "
                f"got MODEL_URI={self.model_uri!r}"
            )
        return self

    def min_cpgs(self, n_cpgs: int) -> int:
        """Fewest of a model's ``n_cpgs`` CpGs a profile must measure."""
        return max(1, math.ceil(self.min_cpg_fraction * n_cpgs))

    @property
    def bundle_path(self) -> Path:
        """The bundle directory to load when no registry URI is set."""
        return self.model_path if self.model_path is not None else DEFAULT_MODEL_PATH


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
