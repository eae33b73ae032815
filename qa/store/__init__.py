"""The library on disk: SQLite (transcripts, utterances, chunks, keyword index, embedding cache)
and the FAISS index generations, written atomically. Below ingest, retrieval and answering."""
