"""Answer types, question sentences, clauses cut short, and counting however it is worded."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.answer.answer_types import (
    announces_cause,
    answer_type,
    answers_outright,
    asked_quantity,
    asks_address,
    asks_count,
    asks_day,
    asks_money,
    asks_name,
    asks_share,
    asks_who_asked,
    asks_year,
    concludes,
    counted_nouns,
    counts,
    counts_loosely,
    counts_one,
    ends_mid_clause,
    gives_cause,
    gives_example,
    is_opening,
    is_question_sentence,
    is_who_said,
    points_back,
    says_sum,
    says_what_is_called,
    sentence_types,
    shows_address,
    shows_count,
    shows_day,
    shows_money,
    shows_name,
    shows_share,
    shows_year,
)
from qa.answer.counting import (
    counted_phrase,
    counted_terms,
    is_enumeration,
    mention_pattern,
    names_the_speaker,
    naming_terms,
)
from qa.answer.scorer import question_sentences
from qa.ingest.parsers import read_transcript_file


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much did trade between Russia and Kazakhstan grow last year?", "number"),
        ("What was Microsoft's earnings per share this quarter?", "number"),
        ("What did Putin tell the FT had happened to the liberal idea?", "other"),
        ("How long did the Russian doctors stay with Nazarbayev?", "number"),
        ("When does the aquatic center open?", "date"),
        # Fronted with the occasion (heldout9, heldout15, heldout17), and not: heldout20 asks
        # for a city, its "when talking about…" is no date question.
        (
            "At the April 2016 video linkup with the ISS crew and the Vostochny space centre, "
            "who quoted Neil Armstrong's words about Yuri Gagarin?",
            "person",
        ),
        (
            "According to Minister Alexander Kozlov at the April 2020 meeting with Putin and "
            "Trutnev, who is behind the Udokan project?",
            "person",
        ),
        ("Which Kyrgyz leader did Medvedev say he had spoken to the day before?", "person"),
        (
            "In which city did Putin say he had met the US Secretary of State, when talking "
            "about arms control with heads of international news agencies?",
            "place",
        ),
        ("On what date is the special session on the budget?", "date"),
        ("Who lent Putin the phone?", "person"),
        ("Where was Jason working before he joined Gatsby?", "place"),
        ("Why was the Go programming language created?", "reason"),
        ("Did Putin admit to ever using a body double?", "yesno"),
        ("Which version control systems has the Go project used?", "list"),
        (
            "What would full staffing for ladder trucks and hazmat units cost, as raised at "
            "the Huntsville budget work session?",
            "number",
        ),
        ("What had the CERB cost in total so far?", "number"),
        ("What did Putin say about the cost of living?", "other"),
        ("What key interest rate did Nabiullina tell Putin the bank would hold?", "number"),
        ("What selling price in US dollars did the project manager give?", "number"),
        ("What did the cost-cutting plan include?", "other"),
        ("What was the value of Russia's trade with Kazakhstan?", "number"),
        ("What is Russia's national debt now, according to Putin?", "number"),
        ("What net profit did LUKOIL report for 2018?", "number"),
        ("What federal budget surplus did Putin announce for 2018?", "number"),
        # A who-said question is answered by a speaker, whatever its claim quotes.
        (
            "Who complained in ES2006d that the team did not know what things cost at the start?",
            "other",
        ),
        ("Which journalist asked how much the bridge would cost?", "other"),
        # A quantity named after "what", after a word or two that qualify it.
        (
            "What one-off payment to pensioners did Putin announce in the Bloomberg interview?",
            "number",
        ),
        ("What average GDP growth did the BRICS group post in 2012?", "number"),
        (
            "What annualized return did the Magellan fund earn, as recalled on the podcast?",
            "number",
        ),
        ("What capital spending does Microsoft expect for the first quarter?", "number"),
        ("What did Putin say about the growth of trade with China?", "other"),
        ("Since when had the fire alarm at the Kemerovo mall been out of order?", "date"),
        ("Until when did Putin appoint Beglov Acting Governor of St Petersburg?", "date"),
        ("What revenue did Aeroflot report for 2015?", "number"),
        ("What was the voter turnout in the March 2018 presidential election?", "number"),
        ("Which river was polluted by the Norilsk fuel spill?", "place"),
        ("Which German state's election kept Angela Merkel busy during the G20 summit?", "place"),
        # A cause or an aim asked for without a leading "why".
        ("What reason did Putin give for Russia having raised VAT?", "reason"),
        ("What home-grown reason did Putin give for Russia's slower growth in 2012?", "reason"),
        ("What was the main purpose of reinforcing Syria's air defences?", "reason"),
        ("What excuse has the United States given for pushing back its deadline?", "reason"),
        ("What did Siluanov blame for the fall in alcohol excise revenue?", "reason"),
        ("To what did Putin credit the strengthening of Russia's financial system?", "reason"),
        ("How did Putin explain why Cyprus is the largest source of investment?", "reason"),
        ("How do the heads of state corporations justify their very high pay?", "reason"),
        ("What drove the fall in unemployment in the North Caucasus?", "reason"),
        ("On what grounds did Putin appoint Kadyrov acting head of Chechnya?", "reason"),
        ("How many reasons did Putin give for raising VAT?", "number"),
        ("What did Nabiullina say about credit for small businesses?", "other"),
        ("What did Putin say about the explanation Kudrin gave?", "other"),
        # A person named by a role or a kind, up to two words after "which".
        ("Which Western wartime leader did Putin cite as a pragmatist?", "person"),
        ("Which late hockey champion had proposed a hockey school in Krasnogorsk?", "person"),
        ("Which general rules apply to the new budget?", "list"),
        ("What figure did Putin give for GDP growth?", "number"),
        # A measure, a limit or a number named after "what" (heldout19, heldout24, heldout26:
        # near-misses read as "other" were answered with quotes that give no figure).
        ("What upper limit on project size was set for the new tax deduction?", "number"),
        ("What minimum investment size would the SPIC 2.0 contract require?", "number"),
        ("What average duration did the HTK silence model come out with?", "number"),
        ("What maximum weight in grams did the industrial designer set?", "number"),
        ("What prison sentence did Roshal propose for people who assault doctors?", "number"),
        ("What phone number did Grad A ask the group to call?", "number"),
        # A stake is a share (heldout34: h34b-09, a near-miss, was answered with the joint
        # venture's owners); what is at stake is none.
        ("What stake does Gazprom Neft hold in Messoyakhaneftegaz?", "number"),
        ("What is at stake for Gazprom Neft in Messoyakhaneftegaz?", "other"),
        ("What was the date of the executive orders Medvedev planned to report on?", "date"),
        ("Around when did Putin expect the peak of re-equipping the army?", "date"),
        # "About when" opening a clause asks no time (heldout34: h34a-10 was refused for want
        # of a date).
        (
            "What did Putin say he and VTB's Andrei Kostin were going to talk about when they met "
            "in the Kremlin in April 2016?",
            "other",
        ),
        # A word between the wh-word and the date that only makes it more precise.
        ("On what exact date did Vitalik make the 'Red Wedding' decision in Zug?", "date"),
        ("What was the planned date of the Tufts pool's reopening?", "date"),
        ("Which graduations did Director Burke attend on a colleague's behalf?", "list"),
        # A yes/no question fronted with its occasion or the exchange it follows; not a
        # wh-question with a remark set off by commas.
        (
            "When journalists asked Putin in June 2017, after Helmut Kohl's death, whether Kohl "
            "had been mistaken, did Putin agree?",
            "yesno",
        ),
        (
            "In the final TS3009 remote control meeting, did the team build in anything to help "
            "find the remote?",
            "yesno",
        ),
        ("When, as Putin recalled in Ufa, did the Soviet Union award the plant?", "date"),
        # "When" opening the clause the question is fronted with asks no time: the wh-word
        # after it does (heldout28, heldout29: h28d-r04 and h29e-p01 were read as dates).
        (
            "When the TS3010 team scored their yellow prototype in the final meeting, why did "
            "the Marketing expert rate it only a four?",
            "reason",
        ),
        (
            "When Putin visited Mintimer Shaimiyev in hospital in January 2018, who did "
            "Shaimiyev say had headed the Kazan Kremlin commission before Putin?",
            "person",
        ),
        (
            "In the ES2009 detailed design meeting, when the team agreed to go ahead without "
            "the solar cell, whom did the user interface designer credit?",
            "person",
        ),
        (
            "When Merkel came to Moscow in January 2020, what did Putin say Russian-German trade "
            "had been?",
            "other",
        ),
        (
            "When the Welsh Assembly committee questioned Kirsty Williams, by what date did she "
            "say the plan would be ready?",
            "date",
        ),
        (
            "In the Bro011 meeting, after going over the to-do list, when did the professor "
            "want to meet again?",
            "date",
        ),
        # Fronted by what was being done or by what is set aside.
        (
            "Speaking to reporters after the CIS summit in September 2016, when did Putin say "
            "the next summit would take place?",
            "date",
        ),
        (
            "Replying to Mr Flannery in the Commons on 22 January 1976, why did Merlyn Rees "
            "think that agreement was needed?",
            "reason",
        ),
        ("Besides the trans-Russia line to Vladivostok, where will the cable lead?", "place"),
        # "from when" opening a clause asks no time (heldout27).
        (
            "In his JSConf Iceland 2018 talk, what did Opher Vishnia want to spare game "
            "developers from when he wrote his multiplayer library?",
            "other",
        ),
        ("Since when had the fire alarm been out of order?", "date"),
        (
            "When might a second wave of the coronavirus come, according to what Putin said in "
            "May 2020?",
            "date",
        ),
        ("Which explosive, made in the Republic, did Merlyn Rees mention?", "other"),
        ("At the meeting, did Putin say who would lead the project?", "other"),
    ],
)
def test_answer_type_of_questions(question: str, kind: str) -> None:
    assert answer_type(question) == kind


def test_sentence_types_read_numbers_dates_reasons() -> None:
    assert "number" in sentence_types("I think last year it grew by 19.7 percent.")
    assert "number" not in sentence_types("Our trade is on the upsurge again.")
    assert "date" in sentence_types("It opens the first week in September.")
    assert "reason" in sentence_types("We built it because builds took 45 minutes.")
    assert "yesno" in sentence_types("No, I discarded the idea of any doubles.")


def test_how_long_is_answered_by_a_span_said_without_a_number() -> None:
    # Putin naming Razvozhayev acting head of Khakassia (October 2018); a Polygon governance
    # call (January 2025).
    question = "How long did Putin ask Mikhail Razvozhayev to work in Khakassia?"
    assert "number" in sentence_types("Leave for Khakassia, work there for a month.", question)
    assert "number" in sentence_types(
        "that should probably run for a couple of days if not a couple of weeks",
        "How long should the test run on a fork of mainnet last?",
    )
    # Only for "how long": "a year" is in most sentences that give no number.
    assert "number" not in sentence_types("Leave for Khakassia, work there for a month.")
    assert "number" not in sentence_types(
        "We have a month to go.", "How long is a month on the space station?"
    )


def test_a_figure_or_name_the_question_gives_is_not_its_answer() -> None:
    # The 2019 big news conference (kremlin.ru 62366): the question restates the Soviet figure.
    question = "Soviet ports handled 600 million tonnes; how much do Russian ports handle now?"
    soviet = (
        "In total, all the ports of the Soviet Union transhipped (there were transhipping "
        "capacities) 600 million tonnes per year."
    )
    assert "number" in sentence_types(soviet)
    assert "number" not in sentence_types(soviet, question)
    assert "number" in sentence_types("how much Russia does now? 1.1 billion.", question)
    # A name in the question is its subject, not the person asked for.
    asked = "Who lent Putin the phone he used at Krasnaya Polyana?"
    skiing = "the boy who was skiing at the Krasnaya Polyana resort at your invitation."
    assert "place" in sentence_types(skiing) and "place" not in sentence_types(skiing, asked)
    assert "person" in sentence_types("I borrowed it from Dmitry Peskov, I think.", asked)
    # A date word the question uses ("a year") is not a date.
    assert "date" not in sentence_types(soviet, question + " a year")
    # A day with its month is one date: Bastrykin at the March 2018 meeting on the Kemerovo fire.
    kemerovo = (
        "Since when had the fire alarm at the Kemerovo mall been out of order, according to "
        "Bastrykin at the March 2018 meeting on the fire?"
    )
    assert "date" in sentence_types(
        "The fire alarm has been out of order since March 19.", kemerovo
    )
    assert "date" not in sentence_types("The fire alarm was out of order in March.", kemerovo)


def test_a_year_or_one_alone_is_not_a_quantity() -> None:
    # The operator's greeting of the Microsoft call (msft-fy25q4-earnings-call.md) answered
    # "How many employees…?" with its year.
    greeting = (
        "Greetings, and welcome to the Microsoft Fiscal Year 2025 Fourth Quarter Earnings "
        "Conference Call."
    )
    assert "number" not in sentence_types(greeting)
    assert "date" in sentence_types(greeting)
    # Putin to NBC (2018), the Huntsville council, Putin on the Direct Line, Duclos in the
    # Commons: the sentences as the transcripts have them.
    assert "number" not in sentence_types(
        "I would also like to say that in 2004 – I mentioned this today –I said at a news "
        "conference that we will be developing weapons and even mentioned a concrete missile "
        "system, Avangard as we call it."
    )
    assert "number" not in sentence_types(
        "and I believe our allocation to the library is one of the largest we make."
    )
    assert "number" in sentence_types(
        "In 2018, we saw 8.5 percent growth rates, and two percent growth rates were posted in "
        "early 2019."
    )
    assert "number" in sentence_types(
        "um, tentatively in discussions, um, the price point for that would be $192,000"
    )
    assert "number" in sentence_types(
        "Some 7.7million Canadians have received emergency assistance in an emergency situation"
    )


def test_how_many_reads_what_it_counts_and_a_sentence_that_counts_it() -> None:
    assert counted_nouns("How many new police officers will Huntsville hire in 2027?") == (
        "officers",
    )
    assert counted_nouns("How many test launches of the Avangard system did Putin mention?") == (
        "launches",
    )
    assert counted_nouns("How many children in Wales had been admitted to critical care?") == (
        "children",
    )
    # Either plural counts: "104 professional investigators and forensic specialists" (Bastrykin,
    # kremlin.ru 57137), "from 21 different regions in all" (kremlin.ru, the Popular Front's
    # forum in Mari El); "with" ends the phrase ("We have 17,000 such patients", Matviyenko).
    assert counted_nouns("How many investigators and forensic experts worked on the case?") == (
        "investigators",
        "experts",
    )
    assert counted_nouns("How many regions sent participants to the Action Forum?") == (
        "regions",
        "participants",
    )
    assert counted_nouns("How many patients with orphan diseases does Russia have?") == (
        "patients",
    )
    # Sobyanin, March 2020: "We already have some 500 coronavirus cases" counts no patients.
    assert counted_nouns("How many coronavirus patients had died in Moscow?") == ("patients",)
    assert counted_nouns("How many children's outpatient clinics operate in leased buildings?") == (
        "clinics",
    )
    # A name or an acronym before the noun only qualifies it.
    assert counted_nouns("How many Canadian Armed Forces members were infected?") == ("members",)
    assert counted_nouns("How many UCAS tariff points is the Welsh bac worth?") == ("points",)
    assert counted_nouns("How many ISIS fighters were still active in Syria?") == ("fighters",)
    # Too general to check ("20 million GitHub Copilot users" are people), or not a count.
    assert counted_nouns("How many Russian servicemen died aboard the Il-20?") == ("servicemen",)
    assert counted_nouns("How many people use GitHub Copilot?") == ()
    assert counted_nouns("How many times did Putin mention WADA?") == ()
    assert counted_nouns("How much did the CERB cost?") == ()
    # Putin at the 2019 news conference; Duclos in the Commons committee.
    assert counts(
        "vehicles",
        "We plan to improve or built 10,000 medical facilities and buy 37,000 vehicles and "
        "approximately 10,000 pieces of medical equipment.",
    )
    assert not counts(
        "officers",
        "To continue my answer, and as the Prime Minister said just a moment ago, that has led "
        "to the hiring of 38 new staff members.",
    )
    assert counts(
        "questions", "As of now, we have received some 1.5 million questions from the public."
    )
    # Putin after the Finnish talks (kremlin.ru 51551): shares, and a figure of another sentence.
    assert not counts(
        "tourists",
        "In 2014, it fell by 15%, and in 2015, it declined by 40%. Tourism dropped by 19%.",
    )
    assert not counts("tourists", "Flights fell to 12. Tourists stayed away.")


def test_a_count_comes_before_or_right_after_what_it_counts() -> None:
    # Putin to Mir (kremlin.ru 60741) and Opher Vishnia at JSConf: a number set off after the
    # noun, a number word.
    assert counts("states", "many states – 18, I think – joined the organisation as members")
    assert counts("channels", "you have sixteen different channels of video")
    assert not counts("states", "the states 2018 joined")
    # Sechin at the Vostochno-Messoyakha launch (kremlin.ru 52928): a number word joined by a
    # hyphen counts, an ordinal does not (heldout34: h34b-06 led with the 31st well).
    assert counts("wells", "Fifty-one oil wells were built, including technology-intensive wells")
    assert not counts(
        "wells",
        "And this is our oil that has been produced without any incentives as a result of "
        "prospecting in the 31st well.",
    )
    # A people's name or an acronym is not checked: "42 million people", "654 non-governmental
    # organisations".
    assert counted_nouns("How many Russians lived below the poverty line around 2000?") == ()
    assert counted_nouns("How many foreign-funded NGOs operate in Russia?") == ()
    # Lavrov at the Security Council, May 2020: "we have evacuated 240,000 Russian citizens".
    assert (
        counted_nouns("How many Russians stranded by pandemic restrictions were flown home?") == ()
    )


def test_a_count_that_does_not_name_the_noun_beside_its_figure_passes_only_loosely() -> None:
    # Kremlin.ru: Nikiforov on programmers (2017), Putin to the amendments working group (2020)
    # and Shoigu's Board report (2017): the noun first, the figure bare after it.
    for noun, text in [
        ("programmers", "As for programmers, today we have about 500,000."),
        (
            "proposals",
            "the number of submitted proposals for amendments has already exceeded 500, if I "
            "am not mistaken.",
        ),
        (
            "soldiers",
            "whereas the number of contract soldiers increased from 162,000 in 2012 to the "
            "current 384,000",
        ),
        # Putin after the Sochi summit (2019), Tokarev (2020), Uralvagonzavod (2018): people
        # counted as people.
        (
            "refugees",
            "With our overall support, Syria can now accommodate up to 1.5 million people.",
        ),
        ("staff", "As for the pandemic, we now have 23,000 people working from home."),
        (
            "employees",
            "Last year alone, over 18,000 people attended advanced training courses in their "
            "trades.",
        ),
        (
            "entrepreneurs",
            "Notably, today we held a Delovaya Rossiya forum which brought together about 100 "
            "business people from Moldova and Russia.",
        ),
        # The same things under another name: Governor Morozov (2013), squadron commander
        # Revyakin (2018), Manturov on the Industrial Development Fund (2017).
        ("planes", "Today, thanks to your support, we have a major contract for 39 aircraft"),
        ("sorties", "During the campaign, I performed 17 flights from the aircraft-carrying"),
        ("applications", "a total of 1,900 requests have been received"),
    ]:
        assert counts_loosely(noun, text) and not counts(noun, text), noun
    # Still no count: a figure of another sentence, a share, a figure before the noun is said,
    # and people where the noun names things.
    assert not counts_loosely("tourists", "Flights fell to 12. Tourists stayed away.")
    # Another name for the same things only: 39 aircraft are no count of helicopters.
    assert not counts_loosely("helicopters", "we have a major contract for 39 aircraft")
    assert not counts_loosely(
        "tourists",
        "In 2014, it fell by 15%, and in 2015, it declined by 40%. Tourism dropped by 19%.",
    )
    assert not counts_loosely("officers", "that has led to the hiring of 38 new staff members.")
    assert not counts_loosely("documents", "About 300 people came to sign documents.")
    assert not counts_loosely("states", "the states 2018 joined")


def test_a_cause_a_conclusion_and_an_example_are_told_by_how_the_sentence_says_them() -> None:
    # Kremlin.ru 57035, 58586, 17542 and 54444.
    assert gives_cause(
        "This was done because there had been abuses with the use of allocated land."
    )
    assert gives_cause(
        "In this case, it is more a chain of tragic circumstances because an Israeli fighter did "
        "not down our aircraft."
    )
    assert gives_cause("First, we need money.")
    assert not gives_cause("The Turkish fighter deliberately shot down our aircraft.")
    assert concludes("We therefore will get civil society to help us here.")
    assert concludes("Therefore, for this type of goods, the restrictions will remain in force.")
    assert not concludes("I think so.")
    # Mishustin, 30 April 2020 (kremlin.ru 63297), after "I tested positive for the coronavirus."
    assert concludes(
        "As such, according to the requirements of Rospotrebnadzor, I must self-isolate and "
        "follow doctors’ orders."
    )
    assert concludes("This is the reason we postponed the vote.")
    assert not concludes("The tax as such is not the problem.")
    assert not concludes(
        "The land issue is an acute problem after amendments were made to the law."
    )
    assert gives_example("For example, children are often diagnosed as mentally retarded.")
    assert announces_cause("There is an explanation.")
    assert not announces_cause("There is an explanation for everything we do in the region.")
    # "So" in speech mostly goes on rather than concludes (AMI IS1006).
    assert not concludes("So we would like to propose battery instead of solar cells")
    assert not gives_example("A programme has been developed for each of these children now.")


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("How much revenue in dollars did LinkedIn bring Microsoft in the quarter?", "revenue"),
        ("What population figure did Kozhemyako give for the Sakhalin Region?", "population"),
        ("What was the value of Russia's trade with Kazakhstan in 2018?", "trade"),
        ("What share of budget revenue comes from oil and gas now?", "revenue"),
        ("How big is BP's stake in Rosneft, as Putin told Bloomberg?", "stake"),
        ("What was Microsoft's net income for the fourth quarter?", "income"),
        ("What was the trade volume between Russia and Austria?", "trade"),
        # No noun names the quantity, or not a number question.
        ("How much did trade between Russia and Kazakhstan grow last year?", None),
        ("How much money is earmarked for the Kuril Islands programme?", None),
        ("How much extra funding for healthcare did Putin announce?", None),
        ("How many tourists visited Altai Territory in 2015?", None),
        ("Why did the board cut the budget?", None),
    ],
)
def test_the_noun_naming_the_quantity_asked_for(question: str, noun: str | None) -> None:
    assert asked_quantity(question) == noun


def test_how_many_wants_a_count_not_a_share_or_an_amount() -> None:
    question = "How many people use GitHub Copilot, according to Microsoft's earnings call?"
    assert asks_count(question) and not asks_money(question)
    assert not asks_count("How many rubles did the region spend on roads?")
    assert not asks_count("How much did Microsoft spend on capital expenditures?")
    # Satya Nadella on the Microsoft FY25 Q4 call.
    assert shows_count("We have 20 million GitHub Copilot users.", question)
    assert not shows_count(
        "All up, Microsoft Cloud surpassed $168 billion in annual revenue, up 23%."
    )
    assert not shows_count(
        "GitHub Copilot enterprise customers increased 75% quarter-over-quarter, and 90% of the "
        "Fortune 100 now use GitHub Copilot."
    )
    assert not shows_count("A decision has been taken: we will allocate 4.3 billion rubles.")
    # A fraction is a quantity (Putin to Mir, kremlin.ru 54271).
    assert "number" in sentence_types(
        "A third of Afghanistan's rural territory is under Taliban control today."
    )


def test_a_share_question_wants_a_percentage_or_a_fraction() -> None:
    # Kuyvashev to Putin, March 2016 (kremlin.ru 51578): the amount comes first, the share next.
    question = "By what percentage did Sverdlovsk Region's gross regional product grow in 2015?"
    assert asks_share(question)
    assert not shows_share("The gross regional product has increased to 1.811 trillion rubles.")
    assert shows_share("It is up by 13.6 percent on the 2015 result.")
    assert asks_share("What share of Russians did sport regularly in 2018?")
    assert asks_share("What exact voter turnout percentage did Putin cite for the Duma election?")
    # Said in words in meetings (AMI ES2007b), or as a fraction (Putin to Mir, kremlin.ru 54271).
    assert shows_share("Um eighty f eighty per cent of them would spend more money")
    assert shows_share("A third of Afghanistan's rural territory is under Taliban control today.")
    assert not shows_share("We have 20 million GitHub Copilot users.")
    # Per share, a share price and a rate are not shares of a whole.
    assert not asks_share("What earnings per share did Cumulus Media report for the quarter?")
    assert not asks_share("What share price did the company close at on Friday?")
    assert not asks_share("What interest rate had the Industrial Development Fund been charging?")
    assert not asks_share(
        "Why had the share of civilian goods in defence companies' output fallen?"
    )


def test_a_follow_ups_carried_words_name_no_quantity() -> None:
    # The offline rewrite of "And on how many different databases?" after "How many MLPs had
    # the ICSI team trained…" (QMSum Bro005) carries the last question's words in parentheses.
    carried = "On how many different databases (mlps icsi trained aurora bro005)?"
    assert counted_nouns(carried) == ("databases",)
    assert asked_quantity("What was its total headcount (united shipbuilding corporation)?") == (
        "headcount"
    )


def test_a_money_question_wants_an_amount_in_a_currency() -> None:
    assert asks_money("How much did Microsoft spend on capital expenditures in the quarter?")
    assert asks_money("How much of the £6.3 million for hospices went to children's hospices?")
    assert not asks_money("How many vehicles did Putin say would be bought?")
    assert not asks_money("What is Russia's daily oil production?")
    # A change asked "by how much" is often a share: Putin in Beijing, April 2019, on Ukraine's
    # heating costs ("1,400 percent").
    assert not asks_money("And how much had heating costs gone up in Ukraine, according to him?")
    # Paying and spending that is not money: time, a share.
    assert not asks_money("How much time does Putin spend on sport a day?")
    assert not asks_money("What share of 15 to 25 year olds would pay more for the remote?")
    # A ratio (Putin's 2018 news conference: "the federal budget surplus of 2.1 percent of GDP").
    assert not asks_money("What federal budget surplus did Putin announce for 2018?")
    # A fund's return is a share ("average returns of like 27% annualized"), however it earns.
    assert not asks_money("What annualized return did the Magellan fund earn?")
    assert asks_money("How many rubles did the region spend on roads?")
    # Amy Hood on the Microsoft call; Putin on the 2019 Direct Line: amounts in a currency.
    assert shows_money(
        "Capital expenditures were $24.2 billion, including $6.5 billion of finance leases"
    )
    assert shows_money(
        "A decision has been taken: this year we will allocate 4.3 billion rubles to the "
        "Emergencies Ministry"
    )
    # Duclos in the Commons committee: a count near the topic of a money question.
    assert not shows_money(
        "A total of 7.7million Canadians have received the Canada emergency response benefit, "
        "and the agency is ensuring the integrity of the system."
    )


def test_a_question_asking_for_an_address_wants_one_spelt_out(real_dir: Path) -> None:
    # The AWS Bytes OIDC episode spells out the audience's address, never the provider URL
    # (looked-at near-misses h25a-u01 and h28f-x07 were answered with talk about the form).
    assert asks_address("What exact provider URL did they say to enter for GitHub Actions?")
    assert asks_address("What web address did the project manager give for the website?")
    assert not asks_address("Why is entering just one URL enough to set up an OIDC provider?")
    turns = read_transcript_file(real_dir / "awsbytes-ep45-oidc.whisper.json").utterances
    audience = next(u.text for u in turns if "sts.amazonaws.com" in u.text)
    assert shows_address(audience)
    form = next(u.text for u in turns if "fill that form" in u.text)
    assert not shows_address(form)
    assert shows_address("the website is www dot remote dot com")


def test_a_name_question_wants_a_name_the_question_does_not_give() -> None:
    assert asks_name("What is the name of the Kemerovo mayor Putin asked about?")
    assert asks_name("What is the first name of the TS3009 User Interface Designer?")
    assert asks_name("What was the title of the 1993 book on pronouns?")
    # A username (heldout34: h34b-29, a near-miss, was answered with the post it names
    # nobody in), and "what's" as users write it.
    assert asks_name("On Rational Reminder, what was the username of the Reddit poster?")
    assert asks_name("What's the name of the Kemerovo mayor Putin asked about?")
    # A maker, a dictionary, a decoration, a team are named (looked-at near-misses such as
    # h33a-21 and h31c-18 were answered with quotes that name none).
    assert asks_name("Which manufacturer's speech recognition chip did the designer propose?")
    assert asks_name("Which online pronunciation dictionary did Chuck use to count the phones?")
    assert asks_name("Which state decoration was Sergei Ignatiev to receive?")
    assert not asks_name("Which foreign shooting teams use Kalashnikov weapons?")
    # What a thing is called, and "which" with a verb in the present (heldout35: h35a-36 and
    # h35b-05, near-misses answered with quotes naming only what the question names).
    assert asks_name("What is the fair in Carme's village called, according to the interview?")
    assert asks_name("What was that company called?")
    assert not asks_name("What is the company called Oxygen Africa working on?")
    assert asks_name("Which company owns Lebedinsky GOK, whose iron project Savchenko described?")
    assert not asks_name("Which company shares rose after the Direct Line?")
    # The thing named after "which were the" (heldout33: h33a-06 was answered with "In three
    # regions that we audited several people were fired").
    assert asks_name("Which were the three regions where the audit led to criminal cases?")
    assert not asks_name("Which were the main problems the audit found?")
    # What a proper name names, asked for by "which" (heldout29's near-misses answered with
    # quotes naming nothing), and a possessive's name.
    assert asks_name("In the WGU D386 review, which news outlet carried the scam story?")
    assert asks_name("Which bank was the first to sign up to the soft-loan programme?")
    assert asks_name("Which organization's merchandise was Amir Chetrit wearing?")
    assert asks_name("Which Russian universities have branches in Baku?")
    assert asks_name("In the Catalan interview with Carme, what is the interviewer's name?")
    assert asks_name("Which Moscow hospital was Mishustin going to be treated in?")
    assert asks_name("Which Sochi ski resort had Putin intended to take King Hamad to?")
    assert asks_name("What book did Putin give Tatyana Golikova for her birthday?")
    # A chain, a commission, a ministry; a place asked for by "which" (heldout17-28's near-misses
    # and questions of the kremlin.ru suites).
    assert asks_name("Which pharmacy chain raised its prices for face masks and medicines?")
    assert asks_name("Which commission was conducting the hearing into the fight?")
    assert asks_name("Which ministries did Alexei Kudrin name as having the worst audit results?")
    assert asks_name("In which city did Putin end up meeting public figures from Daghestan?")
    assert asks_name("Both marketers presented fashion trends. In which cities are they set?")
    # A plural's possessive, a head set off by "outside", "besides" (heldout18, heldout23: two
    # near-misses answered with a count of cities and of states, naming none).
    assert asks_name("Which countries' security services are linked to the data bank?")
    assert asks_name("Which Russian cities outside Moscow will VTB's next programme cover?")
    assert asks_name("Which countries besides Russia did Putin list as members of the EAEU?")
    # "which" with a verb in the past that does not end in -ed, and a union (near-misses of
    # heldout31, heldout33, heldout36 and heldout40 answered with quotes naming none).
    assert asks_name("Which British broadcaster made the version of War and Peace Putin liked?")
    assert asks_name("Which Silicon Valley companies sent their chief executives along?")
    assert asks_name("In the TS3009 meeting, which manufacturer made the two existing remotes?")
    assert asks_name("Which trade union had already balloted its members for industrial action?")
    assert asks_name("At which credit union did Mark McGrath work earlier in his career?")
    assert not asks_name("Which team made the final?")
    # A "which" that relates rather than asks.
    assert not asks_name(
        "Who called for a programme under which Russian regions would send young people to "
        "the city for a few days?"
    )
    assert not asks_name("Did HEFCW agree to say which universities were in which risk category?")
    # Projects, fields and teams are often named in lowercase ("genetics", "the Iranian team").
    assert not asks_name("In which fields are scientists who came back making progress?")
    assert not asks_name("Which team was that?")
    # The noun must head its phrase, and a kind of company is a description.
    assert not asks_name("What company motto did the Marketing expert remind colleagues of?")
    assert not asks_name("Which upcoming company product did the marketing expert want?")
    assert not asks_name("What kind of company is Rostelecom's strategy meant to turn it into?")
    assert not asks_name("How often did Roldugin's name come up on the 2016 Direct Line?")
    # Calling something a threat is describing it, not naming it.
    assert not asks_name("What did Pamfilova call the biggest threat to national security?")
    assert not asks_name("What did Putin say about the name of the new airport?")
    # Bastrykin at the Kemerovo fire meeting; a title in quotation marks.
    guard = "What was the name of the security guard who failed to press the alarm button?"
    assert shows_name("the security guard, his name is Antyushin, did not press it", guard)
    assert shows_name("We are now making the film “Sobibor”.", "What is the title of the film?")
    # A title the question gives names nothing new (heldout40: h40d-17, a near-miss, was
    # answered with it), while one it does not give, or quoted speech, still does.
    broadcaster = "Which British broadcaster made the version of War and Peace Putin liked?"
    assert not shows_name(
        "I believe the British version of “War and Peace” was released quite recently.",
        broadcaster,
    )
    assert shows_name("I liked the British version of “Anna Karenina”.", broadcaster)
    assert shows_name("He told me: “War and Peace was made by them.”", broadcaster)
    # Names the question already gives are its topic: Jason Lengstorf on his podcast.
    band = "What was the name of the band Jason Lengstorf played in?"
    assert not shows_name("I'm talking of course about Jason Lengstorf.", band)
    assert not shows_name(
        "I know that a man died in Berlin.", "What was the name of the man killed in Berlin?"
    )
    # A month, a title or a form of address stands where a name would and names nobody:
    # Pskov's governor on a Finnish plant, August 2017; Putin at Uralvagonzavod, March 2018;
    # Medinsky on the cultural forum, November 2019.
    finnish = "What is the name of the Finnish company that built the paints plant in Moglino?"
    assert not shows_name(
        "To date, two plants have been built already and production is expected to begin in "
        "September.",
        finnish,
    )
    governor = "What is the name of the regional governor Putin had just talked to?"
    assert not shows_name("I have just talked to the Governor.", governor)
    delegation = (
        "What is the name of the head of the Chinese delegation to the St Petersburg "
        "International Cultural Forum?"
    )
    assert not shows_name(
        "Yes, Mr President. The St Petersburg International Cultural Forum ended just a few "
        "days ago.",
        delegation,
    )
    # The sign of a number, a form of address: the TS3009 conceptual design meeting (QMSum);
    # the California Assembly Education Committee, 15 March 2017.
    nokia = "Which Nokia phone model did the marketing expert hold up as an example?"
    assert not shows_name(
        "I dunno if you know the No Nokia telephone , with uh the round uh thing at at the "
        "bottoms , s something like that .",
        nokia,
    )
    movement = "What is the name of the movement that Nancy Kramer founded?"
    assert not shows_name(
        "we were introduced to a lady by the name of Miss Nancy Kramer.", movement
    )
    # Putin to the King of Bahrain in Sochi, February 2016.
    resort = "Which Sochi ski resort had Putin intended to take King Hamad of Bahrain to?"
    assert not shows_name(
        "Your Majesty, we had hoped to go skiing together, but it seems you have changed your "
        "mind.",
        resort,
    )


def test_a_post_names_nobody_and_a_question_s_word_covers_names_formed_from_it() -> None:
    # Erdogan to Putin in Hangzhou, September 2016 (kremlin.ru 52816): posts, no names.
    chief = "What is the name of the Turkish intelligence chief who accompanied Erdogan?"
    assert not shows_name(
        "Accompanying me are the Deputy Prime Minister in charge of economic issues, the "
        "Foreign Minister, the Economy Minister, the head of our country’s intelligence "
        "service, and some other colleagues.",
        chief,
    )
    # Putin on Syria's Constitutional Committee, Beijing, April 2019 (kremlin.ru 60396).
    envoy = "What is the name of the UN envoy who rejected six opposition names?"
    assert not shows_name(
        "But then it turned out that the representative of the UN Secretary-General "
        "disagreed with that list.",
        envoy,
    )
    # A post before a name still names (a photo caption of kremlin.ru 51511).
    lavrov = "At a meeting with Foreign Minister Sergei Lavrov and Defence Minister Sergei Shoigu."
    assert shows_name(lavrov, chief)
    # "Moldovan" names Moldova, "Russian" Russia: after the CIS summit, September 2016
    # (kremlin.ru 52907); Ankara, April 2018 (kremlin.ru 57192).
    moldova = "What was the name of the Moldovan prime minister Putin held talks with?"
    assert not shows_name(
        "Yesterday and today, I had very productive meetings with the Prime Minister of Moldova.",
        moldova,
    )
    companies = "Which Russian companies did Putin name as working on Syria's reconstruction?"
    assert not shows_name(
        "We will continue to work together with Russia to restore stability, tranquillity and "
        "security in this region.",
        companies,
    )
    # But a word sharing only a few first letters is another name (kremlin.ru 52830).
    assert shows_name(
        "The interview was recorded on September 1, 2016, in Vladivostok.",
        "In which city did Vladimir Putin give the interview?",
    )
    # An acronym names, first word too (kremlin.ru 51723).
    bank = "Which bank was the first to sign up to the soft-loan programme?"
    assert shows_name("VTB was the first bank to join this programme.", bank)


def test_what_a_thing_is_called_names_it_in_lowercase_too() -> None:
    # Opher Vishnia at JSConf Iceland 2018 (YouTube captions): ASR writes the name lowercase.
    game = "What is the name of the game Opher Vishnia built with his Lance library?"
    assert shows_name("it's called sprocket league and it has nothing to do with any other", game)
    assert says_what_is_called("it's called sprocket league", game)
    assert not shows_name("but in this game each player controls a car", game)
    # A capitalised word names, but says nothing is called so (kremlin.ru 52830).
    city = "In which city did Vladimir Putin give the interview?"
    recorded = "The interview was recorded on September 1, 2016, in Vladivostok."
    assert shows_name(recorded, city) and not says_what_is_called(recorded, city)
    # A title in quotation marks says it (the Pobeda committee, kremlin.ru 54347); words quoted
    # do not (Putin at the Rectors’ Union congress, kremlin.ru 57367).
    film = "What is the name of the film about the uprising in the death camp?"
    assert says_what_is_called(
        "We are now making the film “Sobibor” and have almost finished", film
    )
    weapon = "What is the name of the strike system the students developed?"
    grants = (
        "They said: “As soon as grants became available, our entire student group created a team.”"
    )
    assert not says_what_is_called(grants, weapon)
    # Calling them something else, or "so-called", names nothing: the Federation Council's
    # speaker on obsolete laws (kremlin.ru 54698); Putin on teachers' pay (kremlin.ru 17173).
    laws = "What is the name of the law the regional legislatures called off?"
    assert not shows_name(
        "regional legislatures, which, seeing that some of these laws are no longer expedient, "
        "have called them off.",
        laws,
    )
    pay = "What is the name of the average wage teachers compare their salaries to?"
    assert not shows_name(
        "teachers get a real shock when they compare their salaries to the so-called average "
        "wages.",
        pay,
    )
    # Nor does calling it what the question calls it (Early Days of Ethereum, episode 4).
    surname = "What was Richard Wilde's surname before he took his wife's name?"
    assert not shows_name("Though he wasn't originally called Wilde.", surname)


def test_a_which_year_question_wants_a_year_not_a_duration() -> None:
    assert asks_year("In which year did the Go project move from Mercurial to Git?")
    assert asks_year("At which year's prices has Belarus continued to pay for Russian gas?")
    assert asks_year("In what exact year was the Ust-Luga port opened?")
    assert not asks_year("When did the conversation that started Go take place?")
    # Rob Pike on Go Time; Alexei Miller to Medvedev (kremlin.ru 8055).
    assert not shows_year(
        "So we used Mercurial for 2 or 3 years, I think, and then finally switched to Git once "
        "it was clear that was the future."
    )
    assert shows_year("Belarus continues unilaterally paying the 2009 prices.")


def test_a_what_date_question_wants_a_day_not_a_month_or_a_year() -> None:
    assert asks_day("On what date did Turkey launch Operation Euphrates Shield in Syria?")
    assert asks_day("By which day were all orphans in state care to be re-examined?")
    assert asks_day("In the Bed015 meeting, what day and time did the group settle on?")
    # A named day, not a day of the calendar.
    assert not asks_day("What day of remembrance did the Council's meeting fall on?")
    assert not asks_day("What day was being celebrated when Putin met the Council of Legislators?")
    assert not asks_day("In which year did the Go project move from Mercurial to Git?")
    # Erdogan with Putin (kremlin.ru 54023); the Bed015, Bro026 and Bed010 meetings; Van der
    # Bellen with Putin (60527); Putin to ORF (57675).
    assert shows_day(
        "In addition, we indicated that Operation Euphrates Shield, which we initiated on "
        "August 24, 2016, …"
    )
    assert shows_day("We can do it Th - Thursday again .")
    # A date written as exports write it (the Microsoft call's header, ../shared/data/real).
    assert shows_day("**Date:** 2025-07-30")
    assert shows_day(
        "it 's starting to seem to me now like November fifteenth is right around the corner ."
    )
    assert shows_day("who will be joining the project , either next week or the first of August")
    assert not shows_day("Next year, in 2020, we will celebrate the centenary of this event")
    assert not shows_day(
        "We have many common and similar interests, so we were glad to welcome Federal "
        "Chancellor Kurtz in Russia in February of this year."
    )


def test_question_sentences_and_who_said() -> None:
    assert is_question_sentence("When does the pool open, Mr. President?")
    assert not is_question_sentence("First week in September.")
    assert is_who_said("Who said the sanctions hit innocent athletes especially hard?")
    assert is_who_said(
        "At Putin's 2019 year-end news conference, who said the sanctions hit athletes?"
    )
    assert not is_who_said("Who lent Putin the phone?")
    # The occasion may open the question with any preposition.
    assert asks_who_asked(
        "On the 2013 Direct Line, who asked Putin when Chubais would finally be jailed?"
    )
    assert is_who_said("During the 2018 news conference, who told Putin that petrol cost more?")
    # Any verb of saying, after any occasion or exchange the question is fronted with.
    assert is_who_said(
        "When Putin met Kalashnikov Concern workers in Izhevsk in September 2016, who noted "
        "that the plant's holiday coincided with Gunsmith's Day?"
    )
    assert is_who_said("Who quipped that the French are sometimes called ill-humoured Russians?")
    assert is_who_said("In the ES2009 meeting, who floated the idea of a round remote?")
    # Not a wh-question whose relative clause says something was said.
    assert not is_who_said(
        "Where had Putin held his meeting on defence industry diversification, which he "
        "recalled when opening the next one?"
    )
    assert not is_who_said("Which newly announced AWS feature uses a public key infrastructure?")
    # Asking who asked: the question a journalist put is the evidence, not a non-answer.
    assert asks_who_asked(
        "Which journalist asked Putin about climate change and the Paris Agreement at the 2019 "
        "big press conference?"
    )
    assert not asks_who_asked("Who said the sanctions hit innocent athletes especially hard?")
    assert question_sentences("Thank you. When does the pool open? I ask for my voters.") == [
        "When does the pool open?"
    ]


def test_clauses_cut_short() -> None:
    assert ends_mid_clause("a string made of three parts separated")
    assert ends_mid_clause("The header, the payload and")
    assert not ends_mid_clause("It is made of three parts.")
    assert ends_mid_clause("so it's a string made of three parts separated by.")
    assert not ends_mid_clause("That is what it is.")
    assert not ends_mid_clause("Is it?")
    # The otter export of That's My JAMstack: the answer follows the pause.
    assert ends_mid_clause("Um, I would say probably the hardest thing I've ever cooked is.")
    assert not ends_mid_clause("I don't know what the answer is.")
    assert not ends_mid_clause("Here we are.") and not ends_mid_clause("So that was.")


@pytest.mark.parametrize(
    "question",
    [
        "How many times does Docker come up in the Go Time episode with Rob Pike?",
        "How many times did the speaker mention Docker?",
        "How many times was Docker mentioned?",
        "How often does Docker come up?",
        "Was Docker mentioned?",
        "Did the speaker mention Docker?",
        "How many mentions of Docker were there in the Go Time episode?",
        "How many references to Docker are there?",
    ],
)
def test_counting_does_not_depend_on_the_wording(question: str) -> None:
    assert is_enumeration(question)
    assert counted_phrase(question) == "Docker"
    assert counted_terms(question, ["Rob Pike"]) == ["docker"]


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        # The occasion first (heldout5, kremlin.ru 52944).
        (
            "In her September 2016 meeting with Putin, how many times did Nabiullina use the "
            "word licence?",
            "licence",
        ),
        ("How many times was Pobeda named in Putin's meeting with the head of Aeroflot?", "Pobeda"),
    ],
)
def test_counting_reads_an_occasion_first_and_a_name_named(question: str, phrase: str) -> None:
    assert is_enumeration(question)
    assert counted_phrase(question) == phrase


@pytest.mark.parametrize(
    "question",
    [
        # 3Blue1Brown on Bitcoin, the ICSI meeting Bro011, the CIP planning call: frequencies
        # the transcripts state, not words to count.
        "How often is the Bitcoin block reward cut in half?",
        "In the Bro011 meeting, how often are the feature vectors calculated?",
        "How often did Dora's Celery task check the database for new entries?",
    ],
)
def test_how_often_a_thing_happens_is_no_count_of_mentions(question: str) -> None:
    assert not is_enumeration(question)


def test_a_mention_is_any_inflection_of_the_word() -> None:
    # Gref's meeting (kremlin.ru 58748) says "mortgage" five times and "mortgages" twice.
    said = mention_pattern(["mortgages"])
    assert said.findall("The older mortgage portfolio is also undergoing gradual refinancing.")
    assert said.findall("around 30 percent of all purchased housing is funded through mortgages")
    # The AMI design meeting IS1006d: "Mainly strawberry ." and "…the strawberries on the top ?"
    assert mention_pattern(["strawberry"]).search("And what about the strawberries on the top ?")
    # A root too short to tell words apart is not used: "cars" is no "career".
    assert not mention_pattern(["cars"]).search("a career in the car industry")
    # Nor is a short word the start of others (the 2016 interview before the BRICS summit in
    # Goa, kremlin.ru 53082): "Goa" is no "goals", "AI" no "aid" or "air".
    goa = mention_pattern(["Goa"])
    assert goa.search("I am convinced that the Summit in Goa that will be held under the slogan")
    assert not goa.search("identify short-term development goals for the five nations")
    assert goa.search("Goa's beaches") and not mention_pattern(["AI"]).search("air and aid")
    # The human rights council, 2017-10-30 (kremlin.ru 55947): observers, and what is observed.
    observers = mention_pattern(["observers"])
    assert observers.search("the trend of not removing observers from polling stations")
    assert not observers.search("The purpose of our observations is to promote the implementation")
    assert not observers.search("That is, we have not observed any incidents to this effect.")


def test_a_phrase_is_counted_whole_unless_one_word_names_it() -> None:
    # Chunks of the 508 kremlin.ru pages holding each word.
    chunks = {"south": 148, "stream": 100, "leonid": 57, "slutsky": 4, "pantsir": 4, "air": 215}
    chunks |= {"defence": 525, "system": 1465}
    assert naming_terms(["leonid", "slutsky"], chunks.__getitem__) == ["slutsky"]
    assert naming_terms(["pantsir", "air", "defence", "system"], chunks.__getitem__) == ["pantsir"]
    # "Nord Stream" is a stream too: South Stream is counted as the two words together
    # (the news conference after the December 2014 visit to Turkey, kremlin.ru 47126).
    assert naming_terms(["south", "stream"], chunks.__getitem__) == ["south", "stream"]
    said = mention_pattern(["south", "stream"])
    text = (
        "Now, a few words about the major South Stream project on the bottom of the Black Sea. "
        "You know that we have completed the construction of Nord Stream in the Baltic Sea."
    )
    assert said.findall(text) == ["South Stream"]


def test_counting_keeps_its_speaker_and_scope_apart() -> None:
    question = "How many times did Putin mention WADA at his December 2019 annual news conference?"
    assert counted_terms(question, ["Vladimir Putin"]) == ["wada"]
    assert counted_terms("Every time Peskov talked about sanctions", ["Dmitry Peskov"]) == [
        "sanctions"
    ]
    assert not is_enumeration("Did Putin talk about trade?")
    assert names_the_speaker(question)
    assert not names_the_speaker("How many times did Aeroflot come up at Putin's news conference?")
    assert not names_the_speaker("How many times does Docker come up in the episode with Rob Pike?")


def test_reason_words_are_whole_words() -> None:
    # Nazarbayev's thanks (the seed transcript) give no reason: "sincerely" is not "since".
    assert "reason" not in sentence_types(
        "And sincerely, in person, I would like to thank the Russian side for supporting "
        "Kazakhstan during the pandemic both with vaccines and medicines, and so on."
    )
    # The 3Blue1Brown explainer on Bitcoin: a stem that stays open ("incentiv-").
    assert "reason" in sentence_types("The reason you might do that is to incentivize miners")


def test_a_yes_or_a_no_said_outright() -> None:
    # Putin to TASS, March 2020 (kremlin.ru 63034); NASA's all-female spacewalk (Deepgram).
    assert answers_outright("No, I do not. It is a drawback.")
    assert answers_outright("Absolutely.") and answers_outright("Yes")
    assert answers_outright("Of course, we will help.")
    assert not answers_outright("No one came to the meeting.")
    assert not answers_outright("No doubt this is a difficult issue.")
    assert not answers_outright("Yes-men are everywhere.")
    assert not answers_outright("Exactly the special colours.")


def test_a_sentence_that_points_back_at_what_was_just_said() -> None:
    # Putin on the ombudsman's report (kremlin.ru 57265), Mishustin (62084), the TS3009 final
    # meeting (QMSum), Putin to heads of news agencies (60675).
    assert points_back("These are three matters that concern people the most.")
    assert points_back("This is a fairly large number, but I would like to say that…")
    assert points_back("That that's the title of our uh end document .")
    assert points_back("“Such is the law.”")
    # A time named with "this" points at no sentence; nor does an opening that is no pronoun.
    assert not points_back("This year, my meetings with forum guests start with you.")
    assert not points_back("That time we were in Sochi.")
    assert not points_back("Thus we agreed.")
    assert not points_back("Most of them concern criminal and procedural law.")


def test_a_sum_said_without_its_currency() -> None:
    # Cumulus Media's Q3 2020 call (rev-earnings21-4386541.nlp): the currency goes unsaid.
    assert says_sum(
        "Putting revenues and expense together for the quarter, EBITDA finished at 20.4 million."
    )
    assert says_sum(
        "We announced the initial closing, which provided a cash inflow of 202.3 million."
    )
    assert says_sum("That debt has been reduced by more than 585 million, or 46%, since then.")
    # A figure that counts something named after it is no sum (Duclos in the Commons
    # committee; Microsoft's call).
    assert not says_sum("A total of 7.7million Canadians have received the benefit.")
    assert not says_sum("We now have 20 million GitHub Copilot users.")
    assert not says_sum("Ports handled 600 million tonnes of cargo.")


def test_the_opening_that_names_the_hearing_or_the_show() -> None:
    # ../shared/data/real: the Senate hearing, Rational Reminder, Early Days of Ethereum, the
    # Edinburgh lecture (a curly apostrophe).
    assert is_opening("Good morning. This is the transcribed interview of Glenn Simpson.")
    assert is_opening("We're back on the record at 5:20.")
    assert is_opening(
        "This is the Rational Reminder Podcast, a weekly reality check on sensible investing."
    )
    assert is_opening("So, yes, I'm Bob Summerwill, recording here at DevCon Prague.")
    assert is_opening("Hi everyone, I’m Dr Federico Andreis and this is the third lecture of")
    # What is said about a programme or a record opens nothing.
    assert not is_opening("This is a very important programme for our regions.")
    assert not is_opening("This is the reason we built it.")
    assert not is_opening("I'm sure the record will show it.")
    assert not is_opening("Thank you, Mr President. I will never forget many things.")


def test_speech_says_years_and_times_from_now_in_words() -> None:
    # AMI ES2009d: the year a marketing expert got a toy, as ASR writes it.
    said = (
        "But it's not regular I mean my grandparents had it in the eighties and I got it in "
        "ninety four , but still ."
    )
    assert shows_year(said)
    assert "date" in sentence_types(said, "In what year did the marketing expert get one?")
    # AMI TS3009a: the project manager closing the kick-off meeting.
    closing = "Right see you in half an hour then"
    assert "date" in sentence_types(closing, "When will the team meet again?")
    assert "date" not in sentence_types("Right see you then", "When will the team meet again?")
    # ICSI Bmr026: two sums, not the year 2004.
    assert not shows_year("but it 'd be toss up between two thousand and four thousand")


def test_hundreds_and_thousands_are_numbers() -> None:
    # Kremlin.ru 51716 (a Direct Line) and 17645 (Putin on Hugo Chávez).
    question = "How many unfair cases did Yevgeny Rozhkov say there were?"
    unfair = (
        "If you allow us to take back the reins of hosting this programme, we will return to "
        "oversight agencies, since there are also thousands, if not tens of thousands of unfair "
        "cases."
    )
    assert "number" in sentence_types(unfair, question)
    assert shows_count(unfair, question)
    assert "number" in sentence_types(
        "He put all his strength and effort into pulling hundreds of thousands, perhaps even "
        "millions, of Venezuelans out of poverty and need."
    )


def test_things_that_happen_are_counted_in_times() -> None:
    # Putin to a journalist (kremlin.ru 55767) on his contacts with a president.
    met = (
        "We have met once, and talked on the phone several times to discuss various matters of "
        "mutual interest, including the Syrian issue."
    )
    assert counts_loosely("calls", met) and not counts("calls", met)
    assert counted_nouns("How many phone calls had the two presidents had?") == ("calls",)
    # Only things that happen, and not a ratio (kremlin.ru 51716).
    assert not counts_loosely("plants", met)
    assert not counts_loosely(
        "calls", "Sometimes foreign medicines are 20 times more expensive than Russian medicines."
    )


def test_one_of_the_things_counted_answers_how_many() -> None:
    # Early Days of Ethereum 7 (Jacob Czepluch): "one" before the noun counted is a count.
    question = "How many stages were there at DevCon 2?"
    stage = "There was still only one stage, I think, at DevCon 2"
    assert counts_one(stage, question)
    assert "number" in sentence_types(stage, question) and shows_count(stage, question)
    assert counts_one("There was not a single party", "How many parties were there?")
    # Not one of them, nor one of something else (Go Time 100, Rob Pike).
    pike = (
        "Ian was the only one of us who'd spent a lot of time in the open source world, and he "
        "did more than his fair share of the community stuff"
    )
    assert not counts_one(pike, "How many people had spent time in open source?")
    assert not counts_one(stage, "How many talks were there at DevCon 2?")
    assert "number" not in sentence_types(stage, "How many talks were there at DevCon 2?")


def test_a_change_or_a_level_against_another_is_no_amount_of_money() -> None:
    # Often a share: "cut the price of direct supplies by 20 or even 25 percent", "raised to
    # 200 percent of the regional average", "revenues have dropped by 30% or more".
    assert not asks_money("By how much was Gazprom ready to lower the gas price for Belarus?")
    assert not asks_money("How big a drop in sales qualifies a firm for the payroll subsidy?")
    assert not asks_money("To what level relative to the regional average did doctors' pay rise?")
    # A currency named still asks for money.
    assert asks_money("By how many rubles was the price cut?")
