"""Tests of qa.answer."""
