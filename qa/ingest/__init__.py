"""qa/ingest: files to transcripts (parsers), transcripts to chunks (chunking), and the pipeline
that embeds them and hands them to the store (pipeline; qa.store sits below and never imports
this package)."""
