"""Fixtures of the result store tests: a migrated SQLite database and results to store."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from api.store import NewResult, ResultStore, upgrade_database
from api.store.engine import make_engine
from tests.api.postgres import BACKENDS, POSTGRES_URL, drop_everything

MODEL = {
    "name": "tiny-test-model",
    "version": "7",
    "run_id": "0123",
    "fingerprint": "f" * 64,
    "manifest_sha256": "m" * 64,
}

_RESULT = {
    "sample_id": "S1",
    "qc": {"array_type": "450k", "warnings": []},
    "classification": {
        "top_class": "DSRCT",
        "top_class_name": "desmoplastic small round cell tumour",
        "score": 0.97,
        "decision": "match",
        "threshold": 0.9,
        "out_of_distribution": False,
        "scores": {"DSRCT": 0.97, "EWS": 0.02, "SS": 0.01},
        "top_classes": [
            {"code": "DSRCT", "name": "desmoplastic small round cell tumour", "score": 0.97},
            {"code": "EWS", "name": "Ewing sarcoma", "score": 0.02},
        ],
    },
    "reclassification": {"verdict": "confirmed"},
    "fusion_consistency": {"status": "confirmed", "dsrct_check": {"flagged": False}},
    "model": {**MODEL, "threshold": 0.9, "source": "/models/tiny"},
}


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path) -> Iterator[Engine]:
    """A migrated, empty database: SQLite, and PostgreSQL when ``TEST_POSTGRES_URL`` is set."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    else:
        engine = make_engine(str(POSTGRES_URL))
        drop_everything(engine)
    upgrade_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> ResultStore:
    return ResultStore(engine, code_version="test-1")


@pytest.fixture
def new_result() -> Callable[..., NewResult]:
    """``new_result("A-1", input="h1", decision="no_match", ...)``: a result to store."""

    def make(
        accession: str,
        *,
        input: str = "in-1",
        decision: str = "match",
        top_class: str = "DSRCT",
        fusion: str = "confirmed",
        verdict: str = "confirmed",
        ood: bool = False,
    ) -> NewResult:
        result = copy.deepcopy(_RESULT)
        result["sample_id"] = accession
        result["classification"].update(
            decision=decision, top_class=top_class, out_of_distribution=ood
        )
        result["fusion_consistency"]["status"] = fusion
        result["reclassification"]["verdict"] = verdict
        return NewResult(
            accession=accession,
            values_sha256="v" + input,
            input_sha256=input.ljust(64, "0"),
            result=result,
        )

    return make
