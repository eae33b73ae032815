"""Tests of qa.retrieve."""
