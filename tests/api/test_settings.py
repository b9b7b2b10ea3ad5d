"""Settings fail fast on bad values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import DEFAULT_MODEL_PATH, Settings


def _settings(**kwargs) -> Settings:
    return Settings(_env_file=None, **kwargs)  # type: ignore[call-arg]


def test_defaults(monkeypatch):
    for name in ("MODEL_PATH", "MODEL_URI", "MAX_BATCH", "MAX_BODY_BYTES", "MIN_CPG_FRACTION"):
        monkeypatch.delenv(name, raising=False)
    settings = _settings()
    assert settings.bundle_path == DEFAULT_MODEL_PATH
    assert settings.max_batch == 1000
    assert settings.max_body_bytes == 64 * 1024 * 1024
    assert settings.min_cpgs(10_000) == 5000
    assert settings.blas_threads == 1


def test_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MODEL_PATH", str(tmp_path))
    monkeypatch.setenv("MAX_BATCH", "12")
    monkeypatch.setenv("MIN_CPG_FRACTION", "0.8")
    settings = _settings()
    assert settings.bundle_path == tmp_path
    assert settings.max_batch == 12
    assert settings.min_cpgs(1000) == 800


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("max_batch", 0, "max_batch"),
        ("max_body_bytes", -1, "max_body_bytes"),
        ("min_cpg_fraction", 1.5, "min_cpg_fraction"),
        ("min_cpg_fraction", 0, "min_cpg_fraction"),
        ("model_uri", "runs:/abc/model", "MODEL_URI must look like"),
        ("log_level", "LOUD", "LOG_LEVEL"),
        ("log_format", "xml", "log_format"),
        ("database_url", "not a url", "DATABASE_URL must be an SQLAlchemy URL"),
        ("rate_limit_per_second", -1, "rate_limit_per_second"),
        ("rate_limit_burst", 0, "rate_limit_burst"),
        ("fhir_system_base", "lab codes", "fhir_system_base"),
    ],
)
def test_bad_values_fail(field, value, match, monkeypatch):
    monkeypatch.delenv("MODEL_PATH", raising=False)
    monkeypatch.delenv("MODEL_URI", raising=False)
    with pytest.raises(ValidationError, match=match):
        _settings(**{field: value})


def test_path_and_uri_together_fail(tmp_path):
    with pytest.raises(ValidationError, match="not both"):
        _settings(model_path=tmp_path, model_uri="models:/m@champion")


@pytest.mark.parametrize("uri", ["models:/sarcoma-classifier@champion", "models:/m/3"])
def test_registry_uris(uri, monkeypatch):
    monkeypatch.delenv("MODEL_PATH", raising=False)
    assert _settings(model_uri=uri).model_uri == uri


def test_operations_defaults(monkeypatch):
    for name in ("AUTH_REQUIRED", "DATABASE_URL", "RATE_LIMIT_PER_SECOND", "LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    settings = _settings()
    assert settings.auth_required is True
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith(
        "work/service.db"
    )
    assert settings.log_format == "json"
    assert settings.rate_limit_per_second == 20 and settings.model_poll_seconds == 0


def test_polling_needs_a_registry_alias(monkeypatch):
    monkeypatch.delenv("MODEL_PATH", raising=False)
    with pytest.raises(ValidationError, match="MODEL_POLL_SECONDS needs MODEL_URI naming an alias"):
        _settings(model_uri="models:/m/3", model_poll_seconds=30)
    assert _settings(model_uri="models:/m@champion", model_poll_seconds=30).model_poll_seconds == 30
