"""Tests of ui/ and the served app."""
