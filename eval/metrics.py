"""Evaluation metrics: pure functions of ranked passages, answers and gold labels.

The exact definitions are in each docstring and, for readers of a report, in
`eval.report.METRIC_LEGEND`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from eval.suite import Evidence
from qa.tokens import count_tokens, truncate_to_tokens

if TYPE_CHECKING:
    from eval.judges import Judge

__all__ = [
    "MIN_QUOTE_WORDS",
    "PassageRecord",
    "RankedPassage",
    "abstention_scores",
    "answer_first",
    "answer_leads",
    "answer_recall",
    "budget_context",
    "citation_precision",
    "citation_recall",
    "evidence_recall_at",
    "grounded_share",
    "mrr_at",
    "ndcg_at",
    "normalize",
    "normalize_answer",
    "passage_from_json",
    "passage_relevance",
    "percentile",
    "recall_at",
    "split_answer_sentences",
    "token_f1",
    "verified_share",
]

MIN_QUOTE_WORDS = 4  # shorter quotes ("Yes .") would match almost any passage


class RankedPassage(Protocol):
    """What the retrieval metrics need of a ranked passage; `qa.models.Passage` has it."""

    @property
    def transcript_id(self) -> str: ...

    @property
    def utterance_start(self) -> int: ...

    @property
    def utterance_end(self) -> int: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class PassageRecord:
    """A ranked passage as stored in results.jsonl."""

    transcript_id: str
    utterance_start: int
    utterance_end: int
    text: str


def passage_from_json(obj: dict[str, Any]) -> PassageRecord:
    """A `PassageRecord` from a `tqa ask --json` passage object."""
    return PassageRecord(
        transcript_id=str(obj["transcript_id"]),
        utterance_start=int(obj["utterance_start"]),
        utterance_end=int(obj["utterance_end"]),
        text=str(obj.get("text", "")),
    )


# --- retrieval -----------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Lowercase, split on whitespace, drop tokens without a letter or digit, join by spaces."""
    return " ".join(t for t in text.lower().split() if any(ch.isalnum() for ch in t))


def _countable(evidence: Sequence[Evidence]) -> list[tuple[Evidence, str | None]]:
    """Evidence items a metric counts, each with its normalized quote (None = index-only)."""
    items: list[tuple[Evidence, str | None]] = []
    for ev in evidence:
        if ev.quote is not None:
            nq = normalize(ev.quote)
            if len(nq.split()) >= MIN_QUOTE_WORDS:
                items.append((ev, nq))
        elif ev.utterance is not None:
            items.append((ev, None))
    return items


def _contains(passage: RankedPassage, norm_text: str, ev: Evidence, nq: str | None) -> bool:
    if passage.transcript_id != ev.transcript_id:
        return False
    if nq is not None:
        return nq in norm_text
    assert ev.utterance is not None
    return passage.utterance_start <= ev.utterance <= passage.utterance_end


def budget_context(passages: Sequence[RankedPassage], budget_tokens: int) -> list[str]:
    """Passage texts in rank order until budget_tokens cl100k tokens, the last one truncated."""
    if budget_tokens <= 0:
        raise ValueError(f"budget_tokens must be a positive integer, got {budget_tokens}")
    texts: list[str] = []
    remaining = budget_tokens
    for p in passages:
        if remaining <= 0:
            break
        n = count_tokens(p.text)
        if n <= remaining:
            texts.append(p.text)
            remaining -= n
        else:
            texts.append(truncate_to_tokens(p.text, remaining))
            remaining = 0
    return texts


def evidence_recall_at(
    passages: Sequence[RankedPassage], evidence: Sequence[Evidence], budget_tokens: int
) -> float | None:
    """EvidenceRecall@B: share of countable gold items inside one passage of the B-token context.

    A quote (>= 4 words after `normalize`) counts when it is a substring of one normalized
    (possibly truncated) passage text of the same transcript; an index-only item counts when a
    passage of the context (even a truncated one) covers its utterance. None: nothing countable.
    """
    items = _countable(evidence)
    if not items:
        return None
    context = budget_context(passages, budget_tokens)
    norm = [normalize(t) for t in context]
    found = sum(
        any(_contains(p, nt, ev, nq) for p, nt in zip(passages, norm, strict=False))
        for ev, nq in items
    )
    return found / len(items)


def passage_relevance(
    passages: Sequence[RankedPassage], evidence: Sequence[Evidence]
) -> list[bool]:
    """Per passage (full text): does it contain any countable gold evidence item."""
    items = _countable(evidence)
    out: list[bool] = []
    for p in passages:
        nt = normalize(p.text)
        out.append(any(_contains(p, nt, ev, nq) for ev, nq in items))
    return out


def _check_k(k: int) -> None:
    if k <= 0:
        raise ValueError(f"k must be a positive integer, got {k}")


def mrr_at(
    passages: Sequence[RankedPassage], evidence: Sequence[Evidence], k: int = 10
) -> float | None:
    """1/rank of the first of the top k passages containing gold evidence; 0 if none; None if
    the question has no countable evidence."""
    _check_k(k)
    if not _countable(evidence):
        return None
    for rank, relevant in enumerate(passage_relevance(passages[:k], evidence), start=1):
        if relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at(
    passages: Sequence[RankedPassage], evidence: Sequence[Evidence], k: int = 10
) -> float | None:
    """Binary nDCG@k: a passage is relevant when it contains gold evidence; the ideal ranking
    puts every relevant passage of the retrieved list first (as trec_eval/ranx do when the
    qrels are the retrieved relevant passages). None if no countable evidence."""
    _check_k(k)
    if not _countable(evidence):
        return None
    rels = passage_relevance(passages, evidence)
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(rels[:k]) if r)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, sum(rels))))
    return dcg / ideal if ideal > 0 else 0.0


def recall_at(
    passages: Sequence[RankedPassage], evidence: Sequence[Evidence], k: int = 10
) -> float | None:
    """Share of countable gold evidence items contained in at least one of the top k passages
    (full text, no token budget). None if no countable evidence."""
    _check_k(k)
    items = _countable(evidence)
    if not items:
        return None
    top = [(p, normalize(p.text)) for p in passages[:k]]
    found = sum(any(_contains(p, nt, ev, nq) for p, nt in top) for ev, nq in items)
    return found / len(items)


# --- answers: sentences and citations ------------------------------------------------------

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# Terminal punctuation, closing quotes/brackets, then any citation markers that belong to it.
_SENT_END = re.compile(r"[.!?]+[\"”’»)]*((?:\s*\[\d+(?:\s*,\s*\d+)*\])*)(?=\s|$)")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "prof", "vs", "etc", "e.g", "i.e", "no", "jr"}
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def _finish_sentence(raw: str) -> tuple[str, list[int]]:
    markers: list[int] = []
    for m in _MARKER.finditer(raw):
        for n in m.group(1).split(","):
            value = int(n)
            if value not in markers:
                markers.append(value)
    text = _MARKER.sub(" ", raw)
    text = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(text.split()))
    return _BULLET.sub("", text).strip(), markers


def split_answer_sentences(answer_text: str) -> list[tuple[str, list[int]]]:
    """Sentences of an answer with the [n] markers each carries, markers stripped from the text.

    A marker run right after a sentence's full stop belongs to that sentence; lines are always
    separate sentences; common abbreviations (Mr., Dr., St.) do not end a sentence.
    """
    out: list[tuple[str, list[int]]] = []
    for line in answer_text.splitlines():
        pieces: list[str] = []
        start = 0
        for m in _SENT_END.finditer(line):
            before = line[start : m.start()].split()
            last_word = before[-1].lower().rstrip(".") if before else ""
            if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
                continue
            rest = line[m.end() :].lstrip()
            if rest and rest[0].islower():
                continue
            pieces.append(line[start : m.end()])
            start = m.end()
        pieces.append(line[start:])
        for raw in pieces:
            text, markers = _finish_sentence(raw)
            if any(ch.isalnum() for ch in text):
                out.append((text, markers))
            elif markers and out:  # a stray marker run: give it to the sentence before
                prev_text, prev_markers = out[-1]
                out[-1] = (prev_text, prev_markers + [n for n in markers if n not in prev_markers])
    return out


def citation_recall(sentences: Sequence[tuple[str, Sequence[str]]], judge: Judge) -> float | None:
    """ALCE citation recall: share of sentences whose cited texts, joined, support them.

    A sentence without citations counts as unsupported. None for an answer without sentences.
    """
    if not sentences:
        return None
    supported = sum(
        bool(cited) and judge.supports("\n".join(cited), sentence) for sentence, cited in sentences
    )
    return supported / len(sentences)


def citation_precision(
    sentences: Sequence[tuple[str, Sequence[str]]], judge: Judge
) -> float | None:
    """ALCE citation precision: share of all citations that are precise.

    As in ALCE's code: the citations of a sentence they do not support jointly are all imprecise;
    otherwise a citation is imprecise ("irrelevant") when it alone does not support the sentence
    AND the sentence's other citations still support it without it. None if no citations.
    """
    total = precise = 0
    for sentence, cited in sentences:
        total += len(cited)
        if not cited or not judge.supports("\n".join(cited), sentence):
            continue
        if len(cited) == 1:
            precise += 1
            continue
        for i, text in enumerate(cited):
            if judge.supports(text, sentence):
                precise += 1
                continue
            rest = [c for j, c in enumerate(cited) if j != i]
            if not judge.supports("\n".join(rest), sentence):
                precise += 1
    return precise / total if total else None


def verified_share(citations_verified: Sequence[bool]) -> float | None:
    """Share of citations that verify (quote found in the cited utterances, speaker right)."""
    if not citations_verified:
        return None
    return sum(bool(v) for v in citations_verified) / len(citations_verified)


def grounded_share(
    sentences: Sequence[str], passages_texts: Sequence[str], judge: Judge
) -> float | None:
    """Share of answer sentences that at least one retrieved passage supports on its own."""
    if not sentences:
        return None
    grounded = sum(any(judge.supports(p, s) for p in passages_texts) for s in sentences)
    return grounded / len(sentences)


# --- correctness ---------------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def normalize_answer(text: str) -> str:
    """SQuAD answer normalization: lowercase, punctuation removed, articles removed,
    whitespace collapsed (Unicode punctuation such as ’ and – counts as punctuation)."""
    text = text.lower()
    text = "".join(
        " "
        if ch in "-–—"
        else ""
        if ch in _ASCII_PUNCT or unicodedata.category(ch).startswith("P")
        else ch
        for ch in text
    )
    return " ".join(_ARTICLES.sub(" ", text).split())


def answer_recall(answer: str, gold_answers: Sequence[str]) -> float | None:
    """Share of gold answers whose normalized text occurs, on word boundaries, in the
    normalized answer. None when there are no gold answers."""
    golds = [g for g in (normalize_answer(a) for a in gold_answers) if g]
    if not golds:
        return None
    padded = f" {normalize_answer(answer)} "
    return sum(f" {g} " in padded for g in golds) / len(golds)


def answer_first(first_quote: str | None, gold_answers: Sequence[str]) -> float | None:
    """1 when a gold answer (SQuAD-normalized, on word boundaries) occurs in the quote of the
    answer's first citation, the one it leads with; 0 when it does not or nothing is cited.
    None when there are no gold answers."""
    if not any(normalize_answer(a) for a in gold_answers):
        return None
    if not first_quote:
        return 0.0
    return float(bool(answer_recall(first_quote, gold_answers)))


def answer_leads(lead: str | None, gold_answers: Sequence[str]) -> float | None:
    """1 when a gold answer occurs in the answer's lead: what it says up to its first citation
    mark, the first quote with the words that introduce it ("Megyn Kelly said: …" answers who
    said it; "…used "wada" 6 times" a count). 0 when it does not or the system abstained. None
    when there are no gold answers."""
    if not any(normalize_answer(a) for a in gold_answers):
        return None
    return float(bool(lead) and bool(answer_recall(lead or "", gold_answers)))


def token_f1(answer: str, gold_answers: Sequence[str]) -> float | None:
    """SQuAD token F1 of the answer against its best-matching gold answer; None without golds."""
    golds = [g.split() for g in (normalize_answer(a) for a in gold_answers) if g]
    if not golds:
        return None
    pred = normalize_answer(answer).split()
    best = 0.0
    for gold in golds:
        common = sum((Counter(pred) & Counter(gold)).values())
        if common == 0:
            continue
        precision, recall = common / len(pred), common / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


# --- abstention and speed ------------------------------------------------------------------


def abstention_scores(
    abstained: Sequence[bool], answerable: Sequence[bool]
) -> dict[str, float | None]:
    """Precision, recall and F1 of abstaining, with "unanswerable" as the positive class."""
    if len(abstained) != len(answerable):
        raise ValueError(
            f"abstained and answerable must have the same length, got "
            f"{len(abstained)} and {len(answerable)}"
        )
    tp = sum(a and not ans for a, ans in zip(abstained, answerable, strict=True))
    predicted = sum(bool(a) for a in abstained)
    actual = sum(not ans for ans in answerable)
    precision = tp / predicted if predicted else None
    recall = tp / actual if actual else None
    if precision is None or recall is None:
        f1 = None
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation, as numpy's default; None if empty.

    The project's one percentile: eval reports and the benchmarks (bench, load_test) use it, and
    each caller decides what an empty sample shows."""
    if not 0 <= q <= 100:
        raise ValueError(f"q must be between 0 and 100, got {q}")
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
