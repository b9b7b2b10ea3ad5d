"""The code version recorded with every result."""

from __future__ import annotations

from classifier.code_version import code_version


def test_a_deployment_given_version_comes_first():
    assert code_version("v1.4.2-3-gabc1234") == "v1.4.2-3-gabc1234"
    assert code_version("  v2  ") == "v2"
    assert code_version("x" * 80) == "x" * 64


def test_without_one_the_checkout_or_package_answers():
    found = code_version()
    assert found and len(found) <= 64
    assert code_version(None) == code_version("") == code_version("   ") == found
