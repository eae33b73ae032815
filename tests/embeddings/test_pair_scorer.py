"""The pair scorer: its word pieces, its ONNX export against the torch model it merges, and the
shipped updates reading an answer against a question."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.errors import ModelError
from embeddings.models import DEFAULT_MODEL, resolve_model
from embeddings.pair_scorer import (
    PAIR_MAX_TOKENS,
    PAIR_WEIGHTS,
    QUESTION_MAX_TOKENS,
    PairPieces,
    PairScorer,
    merged_model,
    pair_text,
    read_pair_weights,
)

MODEL_PATH = resolve_model(DEFAULT_MODEL)[1]

# Gref's answer to Putin in 2016 (kremlin.ru 52167 has it): the question, the answer, and
# sentences of the same exchange on the same topic that do not answer it.
QUESTION = "Why did Gref say Sberbank's retail lending had grown?"


def test_pair_text_names_the_speaker() -> None:
    assert pair_text("Herman Gref", "It grew.") == "Herman Gref: It grew."
    assert pair_text(None, "It grew.") == "It grew."


def test_pieces_cut_the_sentence_never_the_question() -> None:
    pieces = PairPieces(MODEL_PATH)
    long = "word " * 300
    batch = pieces.batch(QUESTION, [long, "Short."])
    ids, types, mask = batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]
    assert ids.shape == (2, PAIR_MAX_TOKENS)
    # The question's pieces are type 0 and whole in both rows; the short pair is padded.
    question_pieces = int((types[1] == 0).sum()) - int((mask[1] == 0).sum())
    assert int((types[0] == 0).sum()) == question_pieces
    assert mask[1].sum() < PAIR_MAX_TOKENS and ids[1, -1] == pieces.pad_id


def test_a_question_too_long_is_cut_so_the_sentence_is_still_read() -> None:
    pieces = PairPieces(MODEL_PATH)
    assert pieces.capped(QUESTION) == QUESTION
    pasted = "Why did Gref say retail lending had grown? " * 40
    assert pasted.startswith(pieces.capped(pasted)) and len(pieces.capped(pasted)) < len(pasted)
    batch = pieces.batch(pasted, ["Herman Gref: Because the key rate fell."])
    types, mask = batch["token_type_ids"][0], batch["attention_mask"][0]
    # [CLS] question [SEP] are type 0, the sentence and its [SEP] type 1.
    assert int((types == 0).sum()) == QUESTION_MAX_TOKENS + 2
    assert int(mask.sum()) - QUESTION_MAX_TOKENS - 2 >= 10


def test_weights_without_a_head_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "pair.npz"
    np.savez(bad, scale=np.float32(2.0))
    with pytest.raises(ModelError, match=r"pair\.npz.*head\.weight"):
        read_pair_weights(bad)
    with pytest.raises(ModelError, match="not found"):
        PairScorer(MODEL_PATH, tmp_path / "absent.npz", cache_dir=tmp_path)


@pytest.mark.slow
def test_onnx_export_gives_the_merged_torch_logits(tmp_path: Path) -> None:
    import torch

    scorer = PairScorer(MODEL_PATH, cache_dir=tmp_path)
    assert scorer.export_seconds is not None and scorer.model_file.is_file()
    texts = [
        pair_text("Herman Gref", "The retail loan portfolio grew by 12 percent."),
        pair_text("Vladimir Putin", "Good afternoon."),
    ]
    model = merged_model(MODEL_PATH, read_pair_weights(PAIR_WEIGHTS))
    batch = {k: torch.from_numpy(v) for k, v in scorer.pieces.batch(QUESTION, texts).items()}
    with torch.no_grad():
        expected = model(**batch).numpy()
    np.testing.assert_allclose(scorer.scores(QUESTION, texts), expected, atol=1e-4)
    # A second scorer reuses the export.
    assert PairScorer(MODEL_PATH, cache_dir=tmp_path).export_seconds is None
    assert scorer.scores(QUESTION, []).shape == (0,)


def test_a_pairs_logit_does_not_depend_on_the_sentences_beside_it() -> None:
    # The seed transcript (kremlin.ru, 2021-06-30). The int8 export gave this pair 5.50 alone,
    # 5.55 beside Putin's long sentence and 5.22 beside "Thank you very much." (the model: 5.93).
    # A fresh scorer each time, so no logit is remembered from the batch before.
    question = "Where is the Russian vaccine produced in Kazakhstan?"
    answer = pair_text(
        "Nursultan Nazarbayev",
        "Now in Karaganda, this enterprise produces a Russian vaccine of the same quality and "
        "in large quantities.",
    )
    long = pair_text(
        "Vladimir Putin",
        "Despite the fact that the pandemic has stolen four or five percent from our trade, if "
        "I am not mistaken, we can see an increase of about 20 percent – over 18 already this "
        "year, in the first half of the year.",
    )
    thanks = pair_text("Vladimir Putin", "Thank you very much.")
    beside = [[answer], [answer, long], [answer, thanks]]
    logits = [PairScorer(MODEL_PATH).scores(question, texts)[0] for texts in beside]
    assert max(logits) - min(logits) < 1e-4
    assert logits[0] > 3  # read as the answer


def test_each_pair_is_read_once_and_answered_in_the_order_asked() -> None:
    scorer = PairScorer(MODEL_PATH)
    texts = [pair_text("Herman Gref", "The retail loan portfolio grew by 12 percent."), "Hello."]
    first = scorer.scores(QUESTION, texts)
    runs: list[int] = []
    session_run = scorer._session.run

    def counted(outputs: list[str], feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        runs.append(len(feed["input_ids"]))
        return session_run(outputs, feed)

    scorer._session = type("Counted", (), {"run": staticmethod(counted)})()
    again = scorer.scores(QUESTION, [texts[1], "Thank you.", texts[0], texts[1]])
    assert runs == [1]  # only "Thank you." was new
    np.testing.assert_allclose(again[[0, 2, 3]], first[[1, 0, 1]], atol=1e-6)
    scorer.clear()
    scorer.scores(QUESTION, texts)
    assert runs == [1, 2]
