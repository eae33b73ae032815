"""The example questions under the chat box, built from what the library holds."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from qa.speakers import GENERIC_SPEAKERS

# Questions written by hand for particular transcripts (transcript id: questions), shown first
# while that transcript is in the library. Only the seed transcript has them.
CURATED_EXAMPLES: Mapping[str, tuple[str, ...]] = {
    "meeting-with-nursultan-nazarbayev-2021-06-30": (
        "What did Nazarbayev say about vaccines?",
        "What did Putin say about trade?",
    ),
}
_SPEAKER_NAME = re.compile(r"[\w .'’-]{2,60}")
_TOPIC = re.compile(r"[\w ,'’-]{3,40}")


def example_questions(
    transcript_ids: Sequence[str],
    speakers: Sequence[tuple[str, int]],
    topics: Sequence[str] = (),
    limit: int = 4,
) -> list[str]:
    """Questions a newcomer can click: the curated ones of the transcripts in the library, then
    one per named speaker, about one of the topics when there are any."""
    questions = [q for tid in transcript_ids for q in CURATED_EXAMPLES.get(tid, ())]
    named = [
        s for s, _ in speakers if s.lower() not in GENERIC_SPEAKERS and _SPEAKER_NAME.fullmatch(s)
    ]
    clean_topics = [t for t in topics if _TOPIC.fullmatch(t)]
    for i, speaker in enumerate(named[:limit]):
        if clean_topics:
            topic = clean_topics[i % len(clean_topics)].lower()
            questions.append(f"What did {speaker} say about {topic}?")
        else:
            questions.append(f"What did {speaker} say?")
    return list(dict.fromkeys(questions))[:limit]
