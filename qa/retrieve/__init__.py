"""From a question to ranked passages: follow-ups made standalone, the question read for speakers
and dates, dense and keyword search fused."""
