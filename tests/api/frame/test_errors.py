"""Field paths of error bodies."""

from __future__ import annotations

import pytest

from api.frame.errors import field_of, from_domain_error, loc_of
from classifier.errors import InvalidBetaValueError, UnknownFindingError


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (("profiles", 0, "values", 17), "profiles[0].values[17]"),
        (("profiles", 2, "betas", "cg00000029"), "profiles[2].betas.cg00000029"),
        (("profiles", 0, "betas", "ch.1.123F"), 'profiles[0].betas["ch.1.123F"]'),
        (("profiles",), "profiles"),
    ],
)
def test_field_paths_round_trip(loc, field):
    assert field_of(loc) == field
    assert loc_of(field) == loc


def test_domain_errors_are_located_under_their_profile():
    error = from_domain_error(
        UnknownFindingError("unknown", field="findings[2].kind"), ("profiles", 1)
    )
    assert error.loc == ("profiles", 1, "findings", 2, "kind")
    assert error.type == "unknown_finding"
    assert error.status_code == 422
    assert from_domain_error(InvalidBetaValueError("bad")).type == "invalid_value"
