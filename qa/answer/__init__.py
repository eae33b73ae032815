"""Cited answers from retrieved passages: extractive sentences, an LLM held to the same citation
checks, counting questions, quote lookup, and the Assistant that runs a question through it all."""
