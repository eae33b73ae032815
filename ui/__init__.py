"""The chat UI in the browser (Gradio): ui.server serves it, ui.handlers answers its events,
ui.present writes its HTML (pure, no gradio).

Gradio is told to send no analytics and the Hugging Face libraries to stay offline here, before
any module of the package imports gradio (which imports huggingface_hub, and that reads
HF_HUB_OFFLINE once, on import).
"""

from __future__ import annotations

import os

from embeddings.offline import use_offline_hub

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
use_offline_hub()
