"""qa/ingest"""
