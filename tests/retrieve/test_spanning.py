"""Questions that span two occasions, read as two parts (real questions of the suites)."""

from __future__ import annotations

import pytest

from qa.retrieve.spanning import spanning_parts


@pytest.mark.parametrize(
    ("question", "first", "second"),
    [
        (
            "What inflation figures did Putin cite in the 2018 NBC interview and in the 2019 "
            "Financial Times interview?",
            "What inflation figures did Putin cite in the 2018 NBC interview?",
            "What inflation figures did Putin cite in the 2019 Financial Times interview?",
        ),
        # The occasion's phrase, not the topic's: "in euros" stays with what is asked.
        (
            "What share of Russia's gold and currency reserves did Putin say is held in euros, "
            "in the 2016 Bloomberg interview and in the 2018 ORF interview?",
            "What share of Russia's gold and currency reserves did Putin say is held in euros, "
            "in the 2016 Bloomberg interview?",
            "What share of Russia's gold and currency reserves did Putin say is held in euros "
            "in the 2018 ORF interview?",
        ),
        (
            "How did Putin describe the change in Russia's GDP on the 2016 Direct Line, and at "
            "his news conference in December 2017?",
            "How did Putin describe the change in Russia's GDP on the 2016 Direct Line?",
            "How did Putin describe the change in Russia's GDP at his news conference in "
            "December 2017?",
        ),
        # "the 2018 one" is the 2018 Direct Line.
        (
            "How big were the Central Bank's gold and currency reserves according to Putin on "
            "the 2017 Direct Line, and on the 2018 one?",
            "How big were the Central Bank's gold and currency reserves according to Putin on "
            "the 2017 Direct Line?",
            "How big were the Central Bank's gold and currency reserves according to Putin on "
            "the 2018 Direct Line?",
        ),
        # Parallel phrases: each part keeps its own "for …".
        (
            "What trade figures did Putin give for Russia-Turkey at his December 2014 Ankara "
            "news conference and for Russia-Hungary at his September 2018 press conference with "
            "Orban?",
            "What trade figures did Putin give for Russia-Turkey at his December 2014 Ankara "
            "news conference?",
            "What trade figures did Putin give for Russia-Hungary at his September 2018 press "
            "conference with Orban?",
        ),
        # A tail both parts share.
        (
            "What volume of suspicious transfers out of the country did Nabiullina cite for "
            "2013 and for 2015, in her September 2016 meeting with Putin?",
            "What volume of suspicious transfers out of the country did Nabiullina cite for "
            "2013, in her September 2016 meeting with Putin?",
            "What volume of suspicious transfers out of the country did Nabiullina cite for "
            "2015, in her September 2016 meeting with Putin?",
        ),
        # Two questions.
        (
            "What organisation did Sergei Kiriyenko speak for at the September 2016 Tula meeting "
            "on defence industry diversification, and what post did he hold at Putin's June "
            "2020 videoconference with ecologists?",
            "What organisation did Sergei Kiriyenko speak for at the September 2016 Tula meeting "
            "on defence industry diversification?",
            "What post did he hold at Putin's June 2020 videoconference with ecologists?",
        ),
        (
            "How much gas did Putin say Blue Stream was carrying at his December 2012 news "
            "conference, and to what yearly volume was it to rise under the deal he described "
            "to Anadolu in 2014?",
            "How much gas did Putin say Blue Stream was carrying at his December 2012 news "
            "conference?",
            "To what yearly volume was it to rise under the deal he described to Anadolu in 2014?",
        ),
        # Two dates, two codes.
        (
            "Which countries chaired the G20 summits after which Putin gave his news conferences "
            "in July 2017 and June 2019?",
            "Which countries chaired the G20 summits after which Putin gave his news conferences "
            "in July 2017?",
            "Which countries chaired the G20 summits after which Putin gave his news conferences "
            "in June 2019?",
        ),
        (
            "What production cost limit did the TS3009 and IS1006 remote control teams have to "
            "meet?",
            "What production cost limit did the TS3009 remote control teams have to meet?",
            "What production cost limit did the IS1006 remote control teams have to meet?",
        ),
        # Two podcast episodes told apart by who speaks in them, not by a date.
        (
            "Across the two Early Days of Ethereum episodes, which client was Jakob Czepluch the "
            "only person working on in the Berlin office, and on which clients did Taylor "
            "Gerring do unit-testing work?",
            "Across the two Early Days of Ethereum episodes, which client was Jakob Czepluch the "
            "only person working on in the Berlin office?",
            "On which clients did Taylor Gerring do unit-testing work?",
        ),
        (
            "How did Putin characterise the day when he answered media questions in Bishkek "
            "after the CIS summit, and how did Dmitry Medvedev characterise the next day?",
            "How did Putin characterise the day when he answered media questions in Bishkek "
            "after the CIS summit?",
            "How did Dmitry Medvedev characterise the next day?",
        ),
        # The second question opens with "by", or with its occasion set off by a comma.
        (
            "By how much did Russian Railways' exports rise in January 2017, per Oleg "
            "Belozerov's March 2017 meeting with Putin, and by how much had Moscow's "
            "non-resource exports grown, per Sergei Sobyanin's April 2018 meeting with Putin?",
            "By how much did Russian Railways' exports rise in January 2017, per Oleg "
            "Belozerov's March 2017 meeting with Putin?",
            "By how much had Moscow's non-resource exports grown, per Sergei Sobyanin's April "
            "2018 meeting with Putin?",
        ),
        (
            "In the AssemblyAI clip, what does the astronaut say the women who came before them "
            "did not get, and in the Deepgram clip, to whom does Drew hand the spacewalkers "
            "over?",
            "In the AssemblyAI clip, what does the astronaut say the women who came before them "
            "did not get?",
            "In the Deepgram clip, to whom does Drew hand the spacewalkers over?",
        ),
        # A scene that names both occasions, then the question: the question is split, its
        # first part keeps the scene.
        (
            "Two Kremlin meetings of spring 2020 touch on the pandemic's practical effects: "
            "Putin's May meeting with Rosneft head Igor Sechin and his June meeting with FSB "
            "Director Alexander Bortnikov. How did Rosneft change the time between workers' "
            "shifts, and what did Bortnikov say the FSB had to do with its planned events with "
            "foreign partner services?",
            "Two Kremlin meetings of spring 2020 touch on the pandemic's practical effects: "
            "Putin's May meeting with Rosneft head Igor Sechin and his June meeting with FSB "
            "Director Alexander Bortnikov. How did Rosneft change the time between workers' "
            "shifts?",
            "What did Bortnikov say the FSB had to do with its planned events with foreign "
            "partner services?",
        ),
    ],
)
def test_a_question_of_two_occasions_is_asked_in_two_parts(
    question: str, first: str, second: str
) -> None:
    assert spanning_parts(question) == (first, second)


@pytest.mark.parametrize(
    "question",
    [
        "What did Nazarbayev say about vaccines?",
        # "and" inside the topic, the occasion's name, or between a span's ends.
        "How big were Russia's gold and currency reserves at the December 2018 news conference?",
        "What did Putin say at the March 2018 Truth and Justice media forum?",
        "How much did Russia's grain exports grow between 2014 and 2018?",
        "Why did the State Duma still have to go through bills dating back to 1994 and 1995, as "
        "Volodin explained to Putin in June 2017?",
        "What did Putin say about relations with Japan and China at the 2018 forum?",
        # The second part names no occasion of its own, or is no question.
        "How many people attended the 2019 forum and in which city was it held?",
        "Who proposed the new airport at the March 2019 meeting and when?",
        "What may Putin say at the news conference and to the journalists afterwards?",
        # The second part leans on the first: a pronoun, a count without its noun.
        "In which Russian region is Hungary's MOL developing an oil field, and how much does it "
        "produce, per Putin's September 2018 talks with Orban?",
        "How many markets and fairs did Russia have a decade earlier, and how many were left, "
        "according to Denis Manturov's December 2018 report to Putin on trade?",
        # Both parts about the same people.
        "Which remote did Cat propose in the ES2006 meeting, and why did Cat like it?",
        # "when" after a comma goes on with the clause; it asks nothing.
        "What did Ella Pamfilova call the biggest threat to national security, and to the right "
        "to life, when presenting her report to Putin in March 2016?",
    ],
)
def test_a_question_of_one_occasion_is_asked_whole(question: str) -> None:
    assert spanning_parts(question) is None
