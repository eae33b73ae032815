"""Tests of qa.ingest."""
