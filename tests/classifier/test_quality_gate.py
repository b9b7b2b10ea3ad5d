import pytest

from classifier.decision import Decision
from classifier.quality_gate import DEFAULT_MIN_COVERAGE, ProfileQuality


def test_a_good_profile_keeps_its_decision():
    q = ProfileQuality(cpg_coverage=0.95)
    assert q.trusted and q.reasons == ()
    assert q.gate("match") is Decision.MATCH
    assert q.gate(Decision.FAMILY_MATCH) is Decision.FAMILY_MATCH


def test_the_minimum_is_inclusive_and_the_default_is_documented():
    assert DEFAULT_MIN_COVERAGE == 0.9
    assert ProfileQuality(cpg_coverage=0.9).trusted
    below = ProfileQuality(cpg_coverage=0.8999)
    assert below.gate("match") is Decision.NO_MATCH
    assert below.reasons == ("only 89.9% of the model's CpGs were measured; a verdict needs 90.0%",)


def test_a_caller_or_bundle_can_set_the_minimum():
    assert ProfileQuality(cpg_coverage=0.7, min_coverage=0.6).trusted
    assert not ProfileQuality(cpg_coverage=0.7, min_coverage=0.75).trusted


def test_out_of_distribution_fails_the_gate_with_its_reason():
    q = ProfileQuality(out_of_distribution=True, cpg_coverage=0.5)
    assert q.gate("match") is Decision.NO_MATCH
    assert len(q.reasons) == 2
    assert q.reasons[0].startswith("the profile is out of distribution")


@pytest.mark.parametrize("value", [-0.1, 1.01, float("nan"), "0.9"])
def test_shares_must_be_in_the_unit_interval(value):
    with pytest.raises(ValueError, match="must be a share in \\[0, 1\\]"):
        ProfileQuality(cpg_coverage=value)
    with pytest.raises(ValueError, match="min_coverage must be a share"):
        ProfileQuality(min_coverage=value)
