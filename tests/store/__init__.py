"""Tests of qa.store."""
