"""Tests of embeddings/."""
