"""The classification service: ``uvicorn api.main:app`` (see docs/api.md)."""
