"""Tests of api.security."""
