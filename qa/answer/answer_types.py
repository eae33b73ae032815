"""What kind of answer a question asks for, and what kinds of answer a sentence can give.

Pure reading of the wording, no model: "How much…" wants a quantity, "When…" a date or time,
"Who…" a person, "Where…" a place, "Why…" a reason, "Did/Is…" a yes or no, "Which three…" a
list. A sentence shows a quantity when it has a number, a date when it names a month, a year or a
day, and so on. The learned sentence scorer uses both (qa.answer.scorer); the answerer abstains
when no candidate shows the wanted kind.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from qa.text import AUXILIARY_VERBS, CALENDAR_WORDS, MONTHS, stem

__all__ = [
    "ANSWER_TYPES",
    "CALENDAR_WORDS",
    "MONTHS",
    "answer_type",
    "answers_outright",
    "asked_quantity",
    "asks_count",
    "asks_day",
    "asks_money",
    "asks_name",
    "asks_share",
    "asks_who_asked",
    "asks_year",
    "counted_nouns",
    "counts",
    "ends_mid_clause",
    "is_opening",
    "is_question_sentence",
    "is_who_said",
    "says_sum",
    "says_what_is_called",
    "sentence_types",
    "shows_count",
    "shows_day",
    "shows_figure",
    "shows_money",
    "shows_name",
    "shows_share",
    "shows_year",
]

ANSWER_TYPES = ("number", "date", "person", "place", "reason", "yesno", "list", "other")
_NUMBER_Q = re.compile(
    r"\b(how\s+(much|many|long|old|far|big|large|fast|high|often|early|late|tall|deep|heavy)|"
    # these only right after "what" ("What age…?", "What percent…?"), the nouns below after
    # up to three words too ("What number…?", "What phone number…?")
    r"what\s+(percent|age|proportion)|by\s+how\s+much|"
    # "What share…?", "What key interest rate…?", "What selling price in US dollars…?", "What
    # net profit…?", "What capital spending…?", "What one-off payment…?", "What average score…?"
    r"what\s+(?:(?!(?:did|does|do|is|was|were|are|has|had|will|would|the)\b)[\w-]+\s+){0,3}"
    r"(rate|cost|price|figure|profit|value|revenue|income|debt|turnover|budget|salary|"
    r"spending|expenditures?|level|returns?|payments?|deficit|surplus|growth|score|volume|"
    r"output|reserves|wages?|capacity|inflation|share|stake|amount|sum|total|percentage|speed|"
    r"temperature|distance|outflow|population|margin|pensions?|subsid(?:y|ies)|fees?|"
    r"accuracy|turnout|probability|"
    # "What upper limit on project size…?", "What average duration…?", "What window size…?",
    # "What phone number…?", "What prison sentence…?"
    r"limit|size|duration|length|threshold|frequency|weight|height|width|depth|number|"
    r"(?:prison|jail)\s+(?:sentence|term))|"
    # "What would full staffing for ladder trucks cost…?", "What did the bridge cost?"
    r"what\s+(?:did|does|do|had|has|would|will|could|might)\b[^?]*(?<!\bthe\s)(?<!\bits\s)"
    r"(?<!\ba\s)\bcost"
    r"(?!\s+of))\b",
    re.I,
)
# "What was Microsoft's earnings per share…?", "What is Russia's daily oil production…?",
# "What was the value of Russia's trade with Kazakhstan?"
_QUANTITY_Q = re.compile(
    r"^\s*(?:and\s+|so\s+)?what\s+(?:was|is|were|are|will\s+be)\b.*\b(rate|growth|inflation|"
    r"revenue|revenues|income|earnings|price|cost|budget|salary|wage|production|reserves|deficit|"
    r"spending|expenditures?|capex|gdp|population|temperature|speed|distance|reward|maximum|"
    r"minimum|total|number|amount|level|figure|value|debt|profit|profits|turnover|volume|"
    r"capacity|output|surplus|unemployment|fees?|accuracy|turnout|probability)\b",
    re.I,
)
# A wh-word among the next three words: a wh-question with a remark set off by commas
# ("Which explosive, made in the Republic, did…?"), not a clause the question is fronted with.
_WH_WORD_SOON = r"(?:\w+\s+){0,2}?(?:who|whom|whose|what|which|where|why|how)\b"
# The auxiliary verb a yes/no question opens with.
_AUX = rf"({AUXILIARY_VERBS})"
# An auxiliary or a modal verb right after "when": "When might a second wave come…?", "Since
# when had the alarm been off?" ask a time.
_AUX_OR_MODAL = rf"(?:{_AUX}|might|may|must|shall)"
# "When" opening a clause the question is fronted with, not asking itself: "When the TS3010
# team scored their prototype, why did…?", "When asked after the Direct Line about…, which
# characteristics did…?" ("When might a second wave come, according to what…?" asks a time.)
_WHEN_CLAUSE = (
    rf"when\s+(?!(?:{_AUX_OR_MODAL}|exactly|roughly|and)\b)"
    rf"(?=[^?]*?,\s*(?:{_WH_WORD_SOON}|{_AUX}\b))"
)
# Where a question's wh-word stands: at its start, or after up to two clauses it is fronted
# with ("At the April 2016 video linkup with the ISS crew, who quoted…?", "According to Kozlov
# at the April 2020 meeting, who is behind…?", "Speaking to reporters after the CIS summit, when
# did…?", "Besides the Government, who headed…?", "In the detailed design meeting, when the
# team agreed…, whom did…?"), not one that asks itself ("In which city did he meet her, when
# talking about arms control?").
_FRONT = (
    r"^\s*(?:and\s+|so\s+)?(?:(?:(?:at|on|in|during|according\s+to|after|before|besides|"
    r"apart\s+from|following|speaking|talking|responding|replying|answering|asked)\s+"
    r"(?!(?:which|what|whose|whom)\b)[^,?]+|"
    rf"{_WHEN_CLAUSE}[^?]*?),\s*){{0,2}}"
)
# A word that makes the date asked for more precise without changing its kind: "on what exact
# date", "what was the planned date of", "in what exact year".
_EXACTLY = (
    r"(?:(?:exact|precise|specific|approximate|rough|actual|official|original|planned|final|"
    r"target|expected|scheduled)\s+)?"
)
_YEAR_Q = re.compile(rf"\b(what|which)\s+{_EXACTLY}year\b", re.I)
# "On what date…?", "By which day…?", "What day and time…?": a day of the calendar (a weekday
# is one), not a named day ("What day of remembrance…?", "What day was being celebrated…?").
_DAY_Q = re.compile(
    rf"\b(what|which)\s+{_EXACTLY}(date|day)\b(?!\s+of\b)(?!\s+(\w+\s+){{0,2}}(celebrated|marked)\b)",
    re.I,
)
_DATE_Q = re.compile(
    # "Since when had…?", not "what did he want to spare them from when he wrote…?"
    rf"{_FRONT}(?!{_WHEN_CLAUSE})when\b|\b(since|from|until|till|by)\s+when\b"
    rf"(?=\s*{_AUX_OR_MODAL}\b|\s*\?)|"
    rf"\b(what|which)\s+{_EXACTLY}(year|date|day|month|time|week|decade)\b|"
    r"\bhow\s+soon\b|"
    # "Around when did…", "What was the date of the executive orders…?"; not a clause "when"
    # opens ("…were going to talk about when they met in April 2016?").
    rf"\b(around|roughly|about|approximately)\s+when\b(?=\s*{_AUX_OR_MODAL}\b|\s*\?)|"
    rf"\bwhat\s+(?:is|was|were|are|will\s+be)\s+the\s+{_EXACTLY}"
    r"(date|year|day|month|deadline)\b",
    re.I,
)
_PERSON_Q = re.compile(
    # "Which late hockey champion…?", "Which French military commander…?"
    rf"{_FRONT}(who|whom|whose)\b|"
    r"\bwhich\s+(?:(?!(?:did|does|do|is|was|were|are|has|had|will|would)\b)[\w-]+\s+){0,2}"
    r"(person|man|woman|journalist|"
    r"minister|leader|businessman|engineer|official|member|speaker|president|reporter|company|"
    r"people|commander|champion|ruler|tsar|czar|emperor|king|queen|governor|"
    r"writer|poet|author|philosopher|scientist|athlete|player|coach|artist|actor|singer|"
    r"composer|chairman|founder|politician|diplomat|ambassador|footballer|astronaut|"
    r"cosmonaut|lawyer|restaurateur|resident|rector|head|chief|director|manager|"
    r"deputy|mayor|senator|councill?or|officer|soldier|pilot|doctor|teacher|professor|"
    r"economist|banker|investor|entrepreneur|activist|priest|colleague|candidate|hero|"
    r"veteran|worker|farmer|winner)\b|"
    r"\baccording\s+to\s+whom\b",
    re.I,
)
_PLACE_Q = re.compile(
    # "Which river…?", "Which German state's election…?"
    rf"{_FRONT}where\b|\b(what|which)\s+(?:[A-Z][\w-]*\s+)?(city|country|place|"
    r"region|town|location|street|park|state|venue|river|lake|sea|island|province|district|"
    r"village|port|airport|republic|continent)\b",
    re.I,
)
# A cause or an aim asked for without a leading "why": "What reason did Putin give for…",
# "What was the main purpose of…", "What did Siluanov blame for…", "To what did Putin credit…",
# "How did Putin explain why…", "How do they justify…", "What drove the fall in…", "On what
# grounds…".
_REASON_Q = re.compile(
    rf"{_FRONT}why\b|\bwhat\s+(was|is)\s+behind\b|\bhow\s+come\b|"
    r"\bfor\s+what\s+reason\b|\bwhat\s+(made|caused|led|drove|drives|prompted|motivated|"
    r"explains)\b|\bon\s+what\s+grounds\b|\bexplain(?:s|ed)?\s+why\b|"
    r"\bwhat\s+(?:(?:is|was|are|were)\s+)?(?:(?:the|his|her|their|its|\w+'s)\s+)?"
    r"(?:[\w-]+\s+)?(reasons?|explanation|excuse|motives?|justification|reasoning|purpose|"
    r"rationale)\b|"
    # the verb, not the noun: "What did Nabiullina say about credit growth?" asks no cause
    r"\bto\s+what\s+(?:did|does|do|has|have|had)\b[^?]*\b(credit|attribute|owe)\b|"
    r"\bwhat\s+(?:did|does|do|has|have|had)\b[^?]*(?<!\babout\s)(?<!\bon\s)(?<!\bof\s)"
    r"(?<!\bthe\s)\b(blame|credit|attribute)\s+(?:[\w'-]+\s+){0,6}?(for|to)\b|"
    r"\bhow\s+(?:did|does|do|has|have|had|was|is)\b[^?]*\b(explain|justify)\b",
    re.I,
)
_YESNO_Q = re.compile(rf"^\s*(?:and\s+|so\s+)?{_AUX}\b", re.I)
# A yes/no question after the occasion or the exchange it is fronted with: "When journalists
# asked Putin whether Kohl had been mistaken, did he agree?", "Asked in his TASS interview
# whether…, did Putin agree?", "In the final TS3009 meeting, did the team build in…?"
_FRONTED_YESNO_Q = re.compile(
    # not a wh-question with a remark set off, nor "When, as Putin recalled, did…?"
    rf"^(?!\s*(?:and\s+|so\s+)?{_WH_WORD_SOON})"
    r"(?!\s*when\s*,|\s*when\s+(?:did|does|do|is|are|was|were|has|have|had|will|would)\b)"
    rf"[^?]*,\s*{_AUX}\s+"
    r"(?!(?:\w+\s+){0,3}?(?:who|whom|whose|what|which|when|where|why|how)\b)[^,?]*\?\s*$",
    re.I,
)
_LIST_Q = re.compile(
    r"\b(which|what)\s+(?!(?:was|is|does|has|did|do|were|are|kinds?)\b)(?:two|three|four|five|"
    r"(?:\w+\s+){0,2}(?!(?:does|was|is|has|this|his|its|us)\b)\w+s)\b|\b(list|name)\s+(the|all)\b|"
    r"\bwhat\s+are\s+the\b",
    re.I,
)
# "Who said…?" after the occasion or the exchange it is fronted with ("At the KHL meeting, …",
# "When the KHL's leadership changed hands at a meeting with Putin, …"), with any verb of
# saying: its answer is a speaker.
_WHO_SAID = re.compile(
    r"^\s*(?:and\s+|so\s+)?"
    rf"(?:(?!{_WH_WORD_SOON})[^,?]+,\s*)?"
    r"(?:who|which\s+\w+)\s+(said|says|claimed|asked|"
    r"stated|argued|suggested|noted|mentioned|told|remarked|warned|proposed|complained|"
    r"described|called|compared|raised|insisted|pointed\s+out|brought\s+up|joked|explained|"
    r"sought|floated|objected|pressed|stressed|urged|recalled|admitted|promised|predicted|"
    r"assured|boasted|conceded|acknowledged|observed|commented|replied|answered|"
    r"responded|recommended|cautioned|emphasi[sz]ed|questioned|critici[sz]ed|praised|thanked|"
    r"quipped|cited|expressed|voiced|wondered|agreed|disagreed|requested|demanded|"
    r"confirmed|denied|revealed|put\s+forward|came\s+up\s+with|volunteered|added|"
    r"reminded|noticed|worried|identified|credited|blamed|likened|dismissed|rejected)\b",
    re.I,
)

# What is named by a proper name when it is asked for by "which": "Which bank was the first…?",
# "Which news outlet carried…?", "which brand's remotes…". (Not "What kind of company…?", "What
# company motto…?": the noun must head its phrase.)
_NAMED_THING = (
    r"(?:organi[sz]ations?|compan(?:y|ies)|institutions?|outlets?|newspapers?|broadcasters?|"
    r"banks?|firms?|universit(?:y|ies)|agenc(?:y|ies)|websites?|publications?|magazines?|"
    r"brands?|channels?|models?|hospitals?|schools?|clinics?|resorts?|hotels?|airports?|"
    r"stadiums?|theat(?:re|er)s?|museums?|festivals?|monaster(?:y|ies)|cathedrals?|churche?s?|"
    r"films?|movies?|books?|songs?|exhibitions?|competitions?|part(?:y|ies)|chains?|"
    r"commissions?|albums?|ministr(?:y|ies)|treat(?:y|ies)|awards?|prizes?|aircraft|"
    r"manufacturers?|courses?|dictionar(?:y|ies)|spacecraft|stations?|decorations?|medals?|"
    r"bands?|algorithms?|apps?|frameworks?|unions?|labels?|studios?|publishers?|"
    # Places asked for by "which": "Which city gathered the most?", "In which region…?"
    r"cit(?:y|ies)|towns?|villages?|provinces?|regions?|countr(?:y|ies)|streets?)"
)
_HEAD_ENDS = (
    # a possessive, a plural's too ("Which countries' security services…?")
    r"(?:'s|’s|(?<=s)['’](?!\w)|"
    r"(?=\s+(?:did|does|do|is|was|were|are|has|had|have|will|would|could|can)\b|"
    r"\s*[,?]|\s+(?:of|in|at|with|for|that|to|from|on|whose|outside|beyond|besides|except|"
    r"apart|across|around|within|near|by|into|among|including|like|such|where|which|who)\b|"
    r"\s+\w+ed\b|"
    # a verb in the past that does not end in -ed ("Which British broadcaster made…?")
    r"\s+(?:made|won|built|ran|wrote|sold|bought|took|gave|led|held|paid|sent|brought|began|"
    r"became|chose|drew|got|grew|kept|lost|met|saw|set|spent|told|went|lent|sang|shot|fell|"
    r"rose|stood|threw|wore|came)\b|"
    # a verb in the present ("Which company owns Lebedinsky GOK?")
    r"\s+(?:owns|runs|makes|builds|supplies|operates|produces|holds|controls|leads|heads|"
    r"manages|hosts|wins|sells|buys|funds|sponsors|publishes|organi[sz]es)\b))"
)
# Where a "which" asks rather than relates: it opens the question or a clause of it, or a
# preposition before it does ("In which region…?", "…, from which city…?"); not "a programme
# under which Russian regions would send…", nor "did HEFCW agree to say which universities…".
_ASKING_WHICH = (
    r"(?:^\W*|[.?!,;:(]\s*|\b(?:and|or|but|so)\s+)(?:(?:in|at|from|to|of|for|with|by|on|near|"
    r"through|into|against|under|over|about|after|before|during|between|among)\s+)?"
)
# "What is the name of…?", "What was the first name of…?", "What is the interviewer's name?",
# "Which company…?" ("What did Pamfilova call the biggest threat…?" asks for a description,
# not a name.)
_NAME_Q = re.compile(
    r"\b(?:what|which)(?:\s+(?:is|was|were|are|will\s+be)|['’]s)\s+(?:the\s+|his\s+|her\s+|its\s+|"
    r"their\s+)?(?:(?:first|last|full|family|official)\s+)?(?:names?|surname|title|username|"
    r"nickname)\s+of\b|"
    # "What is the fair in Carme's village called, according to…?" (not "What is the thing
    # called Oxygen used for?": nothing but the question's end or a clause may follow)
    r"\bwhat\s+(?:is|was|were|are)\s+(?:the|his|her|its|their|this|that)\s+[^?,;]{1,80}?\s"
    r"called\s*(?:[,?]|$|\s+(?:in|at|by|according|when|during|before|after)\b)|"
    r"\bwhat\s+(?:is|was|were|are)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?[\w-]+(?:'s|’s)\s+"
    r"(?:(?:first|last|full|family)\s+)?(?:name|surname)\b|"
    rf"{_ASKING_WHICH}(?:which|what)\s+(?:(?!(?:did|does|do|is|was|were|are|has|had|will|would|"
    rf"the|of|kind|kinds|type|types|sort)\b)[\w-]+\s+){{0,2}}{_NAMED_THING}{_HEAD_ENDS}|"
    # "Which were the three regions where…?"
    rf"{_ASKING_WHICH}which\s+(?:is|was|were|are)\s+the\s+(?:[\w-]+\s+){{0,2}}{_NAMED_THING}"
    rf"{_HEAD_ENDS}",
    re.I,
)
# A title in quotation marks: the film “Sobibor”.
_QUOTED_NAME = re.compile(r"[“\"«]\s*[A-Z]")
# A title quoted whole: capitalised, closed within six words.
_QUOTED_TITLE = re.compile(r"[“\"«]\s*[A-Z][^\s“”\"«»]*(?:\s+[^\s“”\"«»]+){0,5}\s*[”\"»]")
_HOW_MANY = re.compile(r"\bhow\s+many\s+(.*)", re.I)
# Words that end the noun phrase after "how many": verbs, prepositions, pronouns.
_PHRASE_END = frozenset(
    {
        *("did", "does", "do", "are", "is", "were", "was", "will", "would", "can", "could"),
        *("had", "has", "have", "should", "in", "on", "at", "from", "of", "for", "to", "per"),
        *("a", "the", "this", "that", "there", "they", "he", "she", "we", "you", "it"),
        *("according", "exactly", "roughly", "about", "with"),
    }
)
_IRREGULAR_PLURALS = frozenset(
    ["people", "children", "men", "women", "staff", "police", "personnel"]
)
_GENERIC_COUNTS = frozenset(["people", "times", "persons"])
_POSSESSIVE = ("'s", "’s")  # "Russia's trade": the owner, not the quantity
_NOT_PLURAL = ("ss", "us", "is", *_POSSESSIVE)
_PUNCT = ".,;:!?()[]\"'“”‘’"
_DIGIT_WORDS = r"two|three|four|five|six|seven|eight|nine"
_TENS_WORDS = (
    r"ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety"
)
# The number words from two to ninety, which both a count and a quantity may be written with.
_CARDINAL_WORDS = rf"{_DIGIT_WORDS}|{_TENS_WORDS}"
# A figure or a number word, "fifty-one" too; not an ordinal ("in the 31st well" counts no
# wells).
_COUNT = re.compile(
    rf"^(?![\d,]+(?:st|nd|rd|th)$)[$£€]?\d|^({_CARDINAL_WORDS}|(?:{_TENS_WORDS})-(?:one|"
    rf"{_DIGIT_WORDS})|hundreds?|thousands?|millions?|billion|trillion|dozens?|billions|tens|"
    r"several|one|single)$"
)

_MONEY_Q = re.compile(
    r"[$£€]|\b(money|costs?|price|prices|revenues?|income|earnings|salary|salaries|wages?|earns?|"
    r"spend|spent|spending|budget|funding|dollars?|rubles?|roubles?|pounds?|euros?|allocate|"
    r"paid|pay)\b",
    re.I,
)
# Number questions whose words of paying or spending are not about money: time, a share, a
# count, a ratio.
_NOT_MONEY_Q = re.compile(
    r"\bhow\s+(much\s+time|long|often|many)\b|"
    r"\bwhat\s+(share|percentage|percent|proportion|fraction|part)\b|"
    r"\b(time|hours?|days?|minutes?|weeks?|months?|years?)\b[^?]*\bspen[dt]\b|"
    # a change, often a share: "How much had heating costs gone up in Ukraine?" (1,400 percent)
    r"\bhow\s+much\b[^?]*\b(gone\s+up|go\s+up|went\s+up|grow|grew|grown|rise|rose|risen|"
    r"increased?|fall|fell|fallen|drop|dropped|declined?|climbed?|jumped?|soared?|lower|lowered|"
    r"cut|reduced?|raised?|discount)\b|"
    # a change or a level said against another, often a share: "How big a drop in revenue
    # qualifies…?" (30% or more), "…to what level relative to the regional average?" (200
    # percent)
    r"\bhow\s+(big|large|steep|sharp|deep)\s+an?\s+(drop|fall|rise|increase|decrease|cut|"
    r"reduction|decline|discount)\b|\b(relative|compared)\s+to\b|\bcompared\s+with\b|"
    r"\bspen[dt]\b[^?]*\b(time|hours?|minutes?)\b|"
    # a ratio, often of GDP or year on year: "What federal budget surplus…?"
    r"\b(surplus|deficit|growth|margin|inflation|returns?|yields?|interest)\b",
    re.I,
)
# "What share / percentage / proportion / fraction of…", "By what percentage…", "How many
# percent…", "What exact voter turnout percentage…", "…as a share of GDP". Not "what rate"
# (of interest, of exchange, of pay: not always a percentage).
_SHARE_Q = re.compile(
    r"\b(?:what|which)\s+(?:[\w-]+\s+){0,2}(?:(?<!per\s)share|percentage|percent|proportion|"
    r"fraction)\b(?!\s*(?:prices?|holders?|capital|buy-?backs?)\b)|"
    r"\bhow\s+many\s+(?:percent|per\s+cent)\b|\bpercentage\b|"
    r"\bas\s+an?\s+(?:share|percentage|proportion)\b",
    re.I,
)
_SHARE_SAID = re.compile(
    r"%|\bper\s*cent\b|\b(?:half|halves|thirds?|quarters?|fifths?|tenths?)\b|"
    r"\bone\s+(?:in|out\s+of)\s+(?:\d+|every|two|three|four|five|six|seven|eight|nine|ten)\b",
    re.I,
)
# Where the phrase naming an asked quantity starts: after "how much", "what", "what was the",
# "how big is".
_QUANTITY_PHRASE = re.compile(
    r"\b(?:how\s+much|what(?:\s+(?:is|was|were|are|will\s+be))?(?:\s+the)?|"
    r"how\s+(?:big|large|high|long)\s+(?:is|was|were|are|a|an)(?:\s+the)?)\s+(?P<phrase>.*)",
    re.I,
)
# The phrase naming a quantity ends where the one after "how many" does, and at these too.
_QUANTITY_PHRASE_END = _PHRASE_END | frozenset(
    ["by", "as", "between", "under", "after", "before", "when", "if", "now", "and", "or"]
)
_COMPARATIVE = re.compile(r"^(?:\w+er|more|less|worse|better)$", re.I)
# Words that say "a quantity" without naming which one, or qualify one.
_GENERIC_QUANTITIES = frozenset(
    [
        *("figure", "figures", "number", "numbers", "amount", "value", "total", "level", "sum"),
        *("size", "percentage", "percent", "proportion", "rate", "share", "estimate", "volume"),
        # an amount of money (which the money rule checks) and quantities said in their units
        # ("sell at twenty five Euros", "a grandmaster at 12")
        *("money", "funding", "cash", "financing", "price", "prices", "cost", "costs", "age"),
        *("time", "speed", "distance", "weight", "length", "height", "temperature"),
        # words that qualify a quantity without naming it: "extra funding", "the exact figure"
        *("extra", "additional", "further", "more", "new", "overall", "current", "final"),
        *("exact", "approximate", "average", "annual", "yearly", "monthly", "whole", "full"),
        *("hourly", "daily", "weekly", "per", "unit", "selling"),
    ]
)
_CURRENCY_WORDS = r"dollars?|rubles?|roubles?|pounds?|euros?|yen|yuan"
# A share ("75%", "40 percent") and an amount of money ("$168 billion", "4.3 billion rubles"):
# quantities, but not counts.
_SHARE = re.compile(r"\d+(?:[.,]\d+)*\s*(?:%|percent\b|per\s+cent\b)", re.I)
_AMOUNT = re.compile(
    r"[$£€¥]\s*\d+(?:[.,]\d+)*(?:\s*(?:thousand|million|billion|trillion|[mbk]n?)\b)?|"
    r"\d+(?:[.,]\d+)*\s*(?:(?:thousand|million|billion|trillion)\s+)?"
    rf"(?:{_CURRENCY_WORDS})\b",
    re.I,
)
# A number that is part of a name: "the Fortune 100", "Microsoft 365 Copilot".
_NAMED_NUMBER = re.compile(r"(?<=[\w,] )[A-Z][\w-]*\s\d+\b")
# Money words that name the occasion, not the fact: "…according to the earnings call?"
_MONEY_OCCASION = re.compile(r"\bearnings\s+(call|calls|conference|report|release)\b", re.I)
_CURRENCY = re.compile(rf"[$£€¥]|\b({_CURRENCY_WORDS}|cents?|bucks|usd|gbp|eur)\b", re.I)

# A year as speech says it and ASR writes it: "nineteen ninety four", "twenty nineteen", "two
# thousand and five", "in the eighties", "got it in ninety four" (a number of people or a share
# is no year: "two thousand people", "in ninety four percent").
_UNIT_WORDS = rf"one|{_DIGIT_WORDS}"
_SPOKEN_YEAR = (
    rf"\b(?:nineteen|twenty)[\s-](?:{_TENS_WORDS})(?:[\s-](?:{_UNIT_WORDS}))?\b|"
    rf"\btwo\s+thousand\s+(?:and\s+)?(?:{_TENS_WORDS}|{_UNIT_WORDS})\b(?!\s+(?:hundred|thousand)\b)|"
    r"\b(?:in|since|from|until|till|by)\s+(?:the\s+)?(?:nineteen\s+)?"
    r"(?:sixties|seventies|eighties|nineties)\b|"
    rf"\b(?:in|since|from|until|till|by)\s+(?:fifty|sixty|seventy|eighty|ninety)[\s-](?:{_UNIT_WORDS})"
    r"\b(?!\s*(?:%|percent\b|per\s+cent\b))"
)
_YEAR_SHOWN = re.compile(
    rf"{_SPOKEN_YEAR}|"
    r"\b(1[6-9]|20)\d\d\b|\b(last|this|next|that|same|following|previous)\s+year\b|"
    r"\b(\w+|\d+)\s+years?\s+ago\b|\ba\s+year\s+(later|earlier|before|after)\b",
    re.I,
)

_WHO_ASKED = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:(?:at|on|in|during)\s+[^,]+,\s*)?(?:who|which\s+\w+)\s+(?:asked|questioned)\b",
    re.I,
)

# A quantity: a figure (with its separators: "1,100", "24.2") or a number word, one token each.
# A year ("Fiscal Year 2025", "in 2004") and "one" ("one of the largest", "Channel One") are not
# quantities: an operator's greeting or a date near the topic answered "how many…?" questions
# with them.
# A figure written in digits: "4.3", "1,500", "2014".
_DIGITS = r"\d+(?:[.,]\d+)*"
_NUMBER_TOKEN = re.compile(
    rf"{_DIGITS}|\b(?:{_CARDINAL_WORDS}|hundred|thousand|million|billion|trillion|"
    r"dozen|half|twice|double|triple|percent|(?:hundred|thousand|million|billion|dozen)s|"
    r"tens\s+of)\b|"
    # a fraction: "a third of Afghanistan's rural territory", "two-thirds", "a quarter"
    r"\b(?:a|one|two|three)[\s-]+(?:thirds?|quarters?|fifths?)\b",
    re.I,
)
# "one transaction", "only one new plant", "a single visit": up to three words after "one",
# none of them "of".
_ONE = re.compile(
    r"\b(?:one|a\s+single)\s+(?!of\b)(?P<next>(?:[\w-]+\s+(?!of\b)){0,2}[\w-]+)", re.I
)
# "How long…?" is answered by a span said without a number: "work there for a month", "a
# couple of days if not a couple of weeks", "half an hour". (Only then: "a year" is in most
# sentences that give no number.)
_HOW_LONG = re.compile(r"\bhow\s+long\b", re.I)
_SPAN = re.compile(
    r"\b(?:an?|one|a\s+couple\s+of|a\s+few|several|half\s+an?)\s+"
    r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b",
    re.I,
)
# The tokens sentence_types compares with the question's: figures whole, else words.
_TOKEN = re.compile(rf"{_DIGITS}|\w+")
_FIGURE = re.compile(_DIGITS)
_YEAR = re.compile(r"(?<![\d.,$£€])\b(1[89]|20)\d\d\b(?![.,]\d|\s*(%|percent))", re.I)
_MONTHS = (
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# A time from now as a meeting sets it: "we're going to meet again in thirty minutes", "see you
# in half an hour".
_TIME_FROM_NOW = (
    rf"\bin\s+(?:(?:about|around|another|\d+|{_CARDINAL_WORDS}|an?|a\s+few|a\s+couple\s+of|"
    r"half\s+an?)\s+){1,2}(?:minutes?|hours?)\b"
)
# A day with its month is one date ("since March 19" is new to a question about "March 2018").
_DATE = re.compile(
    rf"{_SPOKEN_YEAR}|{_TIME_FROM_NOW}|"
    rf"\b({_MONTHS})\s+\d{{1,2}}(st|nd|rd|th)?\b|\b\d{{1,2}}(st|nd|rd|th)?\s+(of\s+)?({_MONTHS})\b|"
    rf"\b({_MONTHS})\b|\b(1[89]|20)\d\d\b|\b(monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|yesterday|today|tomorrow|tonight|week|weeks|month|months|year|years|"
    r"decade|century|spring|summer|autumn|fall|winter|morning|evening|o'clock|ago|since|"
    r"until|during|before|after|\d+(st|nd|rd|th))\b|\b\d{1,2}:\d\d\b",
    re.I,
)
_ORDINAL_WORDS = (
    r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    r"thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|"
    r"twenty[- ]\w+|thirtieth|thirty[- ]first"
)
# A day of the calendar: "May 21", "Sept. 5", "21 May", "the 5th", "the first of August",
# "November fifteenth", "12.03.2019", "2019-03-12", a weekday. Not a month or a year alone ("in
# February of this year", "next year, in 2020"), nor "today" (the day is the transcript's, which
# the quote does not say).
_DAY_SHOWN = re.compile(
    rf"\b({_MONTHS})\.?\s+(\d{{1,2}}(st|nd|rd|th)?|the\s+({_ORDINAL_WORDS})|{_ORDINAL_WORDS})\b|"
    rf"\b(\d{{1,2}}(st|nd|rd|th)?|({_ORDINAL_WORDS}))\s+(of\s+)?({_MONTHS})\b|"
    r"\bthe\s+\d{1,2}(st|nd|rd|th)\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{4}-\d\d-\d\d\b|"
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.I,
)

# A capitalised word inside the sentence (not its first word): a name, a place, an organisation.
_NAME = re.compile(r"(?<=[\w,;:] )[A-Z][a-z]+(?:[- ][A-Z][a-z]+)*")
# Capitalised words that name nobody, though they stand where a name would: a month or a
# weekday ("production is expected to begin in September"), a title or a form of address ("I
# have just talked to the Governor", "Yes, Mr President", "Miss Nancy Kramer"), the sign of a
# number ("Moscow School No 171") and a stutter over it ("the No Nokia telephone").
_NO_NAMES = CALENDAR_WORDS | {
    *("mr", "mrs", "ms", "miss", "dr", "sir", "madam", "president", "governor", "minister", "no"),
    *("prime", "deputy", "chairman", "chairwoman", "colleagues", "friends"),
    *("majesty", "excellency", "highness", "honour", "honor", "speaker", "chair"),
}
# A post names nobody either: a run of capitalised words ending in one, after an article or a
# possessive ("the Foreign Minister, the Economy Minister", "the Interface Designer", "the UN
# Secretary-General"); "Sergei Kiriyenko, Rosatom Director General" still names Rosatom.
_POSTS = frozenset(
    {
        *("minister", "president", "governor", "director", "secretary", "general", "head"),
        *("chairman", "chairwoman", "chair", "mayor", "ambassador", "envoy", "commissioner"),
        *("spokesman", "spokeswoman", "prosecutor", "chief", "officer", "manager", "designer"),
        *("premier", "chancellor", "king", "queen", "prince", "emperor", "member", "expert"),
    }
)
_BEFORE_POST = re.compile(r"\b(?i:the|a|an|our|your|his|her|their|its|my)\s+([A-Z]{2,}\s+)?$")
# An acronym names an outlet, a bank or a body wherever it stands, first word too ("VTB was
# the first bank to join this programme", "an article out of KUOW").
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]*[A-Z]\b")
# What a thing is called names it, in lowercase too (ASR writes names so: "it's called sprocket
# league"); not what it is called to do, or who ("called on", "called him", "called a meeting").
_CALLED = re.compile(
    r"(?<!so-)\b(?:called|named|name\s+is|name's)\s+(?!(?:a|an|the|it|me|him|her|us|them|you|"
    r"on|upon|for|in|up|out|off|back|to|one|this|that|by)\b)(?P<name>[A-Za-z]\w*)",
    re.I,
)
# A question's word covers the names formed from it: "Russian" names Russia, "Moldovan" Moldova,
# "Ukrainian" Ukraine.
_SHARED_STEM = 6
_PERSON_WORDS = re.compile(
    r"\b(he|she|him|her|mr|mrs|ms|dr|colleague|minister|president|director|friend|wife|"
    r"husband|team|guy|somebody|someone|people)\b",
    re.I,
)
_PLACE_WORDS = re.compile(
    r"\b(in|at|near|from|to)\s+(the\s+)?(?P<name>[A-Z]\w+)|\b(city|country|region|street|"
    r"park|building|office|room|here|there|abroad)\b"
)
_REASON = re.compile(
    r"\b(because|since|so\s+that|in\s+order\s+to|due\s+to|the\s+reason|that's\s+why|"
    r"that\s+is\s+why|therefore|thus|as\s+a\s+result|caused|led\s+to|so\s+we|so\s+i|aim|"
    r"goal|purpose|to\s+make|to\s+ensure|to\s+avoid)\b|\b(motivat|incentiv)",
    re.I,
)
_YESNO = re.compile(
    r"^\W*(yes|no|not|never|of\s+course|certainly|absolutely|definitely|sure|indeed|right|"
    r"exactly|correct|nothing|none)\b|\b(not|never|no)\b",
    re.I,
)
_LIST = re.compile(
    r"(,[^,]+){2,}|\b\w+,\s+\w+\s+and\b|\b(first|second|third|firstly|secondly)\b", re.I
)
# How a clause that goes on ends: a comma, a dash, or a word that needs what follows it.
_OPEN_END = re.compile(
    r"(,|;|:|-|–|—|\b(and|or|but|the|a|an|of|to|in|on|at|for|with|by|from|that|which|who|is|"
    r"are|was|were|be|been|than|as|if|because|so|into|about|like|my|our|their|its|his|her|"
    r"your|this|these|those))\s*$",
    re.I,
)


# The words of _OPEN_END that cannot end an English sentence even before a full stop.
_OPEN_WORD_END = re.compile(
    r"\b(and|or|but|the|a|an|of|to|for|with|by|from|than|because|into|my|our|their|your)\s*$",
    re.I,
)


def answer_type(question: str) -> str:
    """The kind of answer the question asks for: one of ANSWER_TYPES."""
    if is_who_said(question) or asks_who_asked(question):
        # "Who complained that nobody knew what things cost?": its answer is the speaker of
        # the sentence that says so, which need show no figure (nor any name).
        return "other"
    if _REASON_Q.search(question):
        return "reason"
    if _NUMBER_Q.search(question) or _QUANTITY_Q.search(question):
        return "number"
    if _FRONTED_YESNO_Q.search(question):
        return "yesno"
    if _DATE_Q.search(question):
        return "date"
    if _PLACE_Q.search(question):
        return "place"
    if _PERSON_Q.search(question):
        return "person"
    if _LIST_Q.search(question):
        return "list"
    if _YESNO_Q.search(question):
        return "yesno"
    return "other"


def sentence_types(text: str, question: str = "") -> frozenset[str]:
    """The kinds of answer the sentence could give ("other" always).

    With the question, a quantity, a date word or a name the question itself uses does not
    count: "Soviet ports handled 600 million tonnes; how much do Russian ports handle now?" is
    not answered by the sentence that says 600 million tonnes, nor "Who lent Putin the phone
    at Krasnaya Polyana?" by one whose only name is Krasnaya Polyana.
    """
    given = _given_tokens(question)
    found = {"other"}
    if (
        _new(_NUMBER_TOKEN.findall(_YEAR.sub(" ", text)), given)
        or (_HOW_LONG.search(question) and _new(_SPAN.findall(text), given))
        or counts_one(text, question)
    ):
        found.add("number")
    if _new((m.group(0) for m in _DATE.finditer(text)), given):
        found.add("date")
    names = [n for n in _NAME.findall(text) if _new(n.replace("-", " ").split(), given)]
    if names or _PERSON_WORDS.search(text):
        found.add("person")
    places = (m.group("name") or m.group(0) for m in _PLACE_WORDS.finditer(text))
    if names or _new(places, given):
        found.add("place")
    if _REASON.search(text):
        found.add("reason")
    if _YESNO.search(text):
        found.add("yesno")
    if _LIST.search(text):
        found.add("list")
    return frozenset(found)


@lru_cache(maxsize=64)
def _given_tokens(question: str) -> frozenset[str]:
    """The question's words and figures, lowercased (once per question: sentence_types runs
    for each of its candidates)."""
    return frozenset(_TOKEN.findall(question.lower()))


def _new(tokens: Iterable[str], given: frozenset[str]) -> bool:
    """Whether any of the tokens (a match may be several words) is not among the given ones."""
    return any(any(w not in given for w in _TOKEN.findall(token.lower())) for token in tokens)


def is_question_sentence(text: str) -> bool:
    """Whether the sentence asks rather than tells (it ends with a question mark)."""
    return text.rstrip().rstrip("\"'\u201d\u2019)]").endswith("?")


def is_who_said(question: str) -> bool:
    """Whether the question asks who said something ("Who claimed that…?")."""
    return bool(_WHO_SAID.search(question))


def asks_who_asked(question: str) -> bool:
    """Whether the question asks who put a question ("Which journalist asked Putin about…?"):
    then a sentence that asks is the evidence, and its speaker the answer."""
    return bool(_WHO_ASKED.search(question))


def counted_nouns(question: str) -> tuple[str, ...]:
    """What a "How many …?" question counts, lowercased: the plural words of the phrase after
    "how many" ("new police *officers*", "test *launches*"; either of "*investigators* and
    forensic *experts*", and of "*regions* sent *participants*", whose verb no rule tells from
    a noun), else an irregular plural ("children"). Nothing for other questions, for words
    too general to check ("people", "times": users, customers and Canadians are people too)
    and when no plural is found."""
    match = _HOW_MANY.search(question)
    if not match:
        return ()
    phrase: list[str] = []
    for raw in _before_aside(match.group(1)).split()[:5]:
        word = raw.strip(_PUNCT)
        if not word or word.lower() in _PHRASE_END:
            break
        phrase.append(word)
    # Not "coronavirus", "status", "crisis", "children's", "UCAS": a word before the noun.
    plurals = [
        w
        for w in phrase
        if len(w) > 3
        and w.lower().endswith("s")
        and not w.lower().endswith(_NOT_PLURAL)
        and not w.isupper()
    ]
    # "servicemen", "fishermen", "businessmen"
    irregular = [w for w in phrase if w.lower() in _IRREGULAR_PLURALS or w.lower().endswith("men")]
    nouns = plurals or irregular[:1]
    # "How many Russians…?", "How many foreign-funded NGOs…?": a people's name counts people,
    # an acronym is spelt out in speech ("654 non-governmental organisations"); neither can be
    # checked, nor what a people's name heads ("How many Russians stranded by pandemic
    # restrictions…?"). A name before the noun only qualifies it ("Canadian Armed Forces
    # members").
    if nouns and nouns[0] == phrase[0] and nouns[0][:1].isupper():
        return ()
    nouns = [noun for noun in nouns if not noun[:1].isupper()]
    if any(noun.lower() in _GENERIC_COUNTS for noun in nouns):
        return ()
    return tuple(dict.fromkeys(noun.lower() for noun in nouns))


def asks_money(question: str) -> bool:
    """Whether a number question asks for an amount of money ("How much did Microsoft spend…",
    "What was the price…", "How much of the £6.3 million…"). A question naming a currency
    does; one asking for time, a share or a count does not ("How much time does he spend on
    sport?", "What share would pay more?", "How many people use Copilot, according to the
    earnings call?")."""
    if answer_type(question) != "number":
        return False
    if _CURRENCY.search(question):
        return True
    asked = _MONEY_OCCASION.sub(" ", question)
    return bool(_MONEY_Q.search(asked)) and not _NOT_MONEY_Q.search(asked)


def asks_share(question: str) -> bool:
    """Whether a number question asks for a share or a percentage change ("What share of
    Russians did sport regularly…?", "By what percentage did the gross regional product
    grow…?"): answered by a percentage or a fraction, not by the amount beside it ("increased
    to 1.811 trillion rubles")."""
    return answer_type(question) == "number" and bool(_SHARE_Q.search(question))


def shows_share(text: str) -> bool:
    """Whether the sentence gives a share: a percentage, in figures or in words ("36.8
    percent", "seventy five per cent", "75%"), or a fraction ("half", "a third", "two-thirds",
    "one in five")."""
    return bool(_SHARE_SAID.search(text))


def asked_quantity(question: str) -> str | None:
    """The noun that names the quantity a number question asks for, lowercased: "How much
    *revenue* in dollars…", "What population figure…" (*population*), "What was the value of
    Russia's *trade*…", "How big is BP's *stake*…". None when the question names none ("How
    much did trade grow?") or is not a number question."""
    if answer_type(question) != "number":
        return None
    match = _QUANTITY_PHRASE.search(question)
    if not match:
        return None
    words = [w.strip(_PUNCT) for w in _before_aside(match.group("phrase")).split()]
    if words and _COMPARATIVE.match(words[0]):
        return None  # "How much faster…?", "How much worse off…?": a degree, not a thing
    phrase: list[str] = []
    for i, word in enumerate(words):
        lower = word.lower()
        if not _in_phrase(word):
            # "the value of Russia's trade": a generic quantity names its thing after "of".
            if lower == "of" and phrase and phrase[-1].lower() in _GENERIC_QUANTITIES:
                named = [w for w in words[i + 1 : i + 4] if not w.lower().endswith(_POSSESSIVE)]
                phrase = list(itertools.takewhile(_in_phrase, named))[:2]
            break
        if not lower.endswith(_POSSESSIVE):
            phrase.append(word)
    # Not a participle the phrase runs into ("the share of users *found*…").
    nouns = [
        w
        for w in phrase
        if w.lower() not in _GENERIC_QUANTITIES and w[:1].islower() and not w.endswith("ed")
    ]
    return nouns[-1].lower() if nouns else None


def _before_aside(phrase: str) -> str:
    """The phrase up to a parenthesis: an aside, or the words a follow-up carries over from
    the last question ("On how many different databases (mlps icsi trained …)?")."""
    return phrase.split("(", 1)[0]


def _in_phrase(word: str) -> bool:
    return word.lower() not in _QUANTITY_PHRASE_END


def asks_count(question: str) -> bool:
    """Whether a number question asks how many of something there are (not of a currency):
    answered by a count, not by a share or an amount of money."""
    return (
        answer_type(question) == "number"
        and bool(_HOW_MANY.search(question))
        and not _CURRENCY.search(question)
    )


def shows_count(text: str, question: str = "") -> bool:
    """Whether the sentence gives a quantity that is neither a share, an amount of money nor
    part of a name ("20 million GitHub Copilot users", not "increased 75%", "$168 billion" or
    "the Fortune 100"), and not one the question gives itself."""
    rest = _NAMED_NUMBER.sub(" ", _AMOUNT.sub(" ", _SHARE.sub(" ", text)))
    return _new(_NUMBER_TOKEN.findall(_YEAR.sub(" ", rest)), _given_tokens(question)) or counts_one(
        text, question
    )


def counts_one(text: str, question: str) -> bool:
    """Whether the sentence counts one of what a "How many …?" question counts: "this is only
    going to be one transaction for the protocol council" (how many transactions), "a single
    visit". "One" is no number elsewhere ("one of the largest", "Channel One"), nor here
    before "of" ("one of the transactions")."""
    keys = _counted_keys(question)
    return bool(keys) and any(
        stem(word)[:5] in keys
        for match in _ONE.finditer(text)
        for word in match.group("next").split()
    )


@lru_cache(maxsize=64)
def _counted_keys(question: str) -> frozenset[str]:
    """The stem keys of what a "How many …?" question counts (once per question: counts_one
    runs for each of its candidates, and for none of another question's)."""
    return frozenset(stem(noun)[:5] for noun in counted_nouns(question))


def shows_money(text: str) -> bool:
    """Whether the sentence gives an amount in a currency ("$24.2 billion", "4.3 billion
    rubles", "£1.5 million")."""
    return bool(_CURRENCY.search(text))


# A sum said without its currency, as earnings calls and meetings say them ("EBITDA finished
# at 20.4 million.", "a cash inflow of 202.3 million"): a figure with its magnitude that no
# noun follows ("20 million GitHub Copilot users", "600 million tonnes" count things).
_BARE_SUM = re.compile(
    r"\d+(?:[.,]\d+)*\s*(?:thousand|million|billion|trillion)\b(?!\s*-?\s*(?!(?:in|of|and|or|"
    r"for|on|to|from|at|by|with|per|a|an|the|this|that|which|we|it|was|is|were|are|so|but|"
    r"annually|annualized|annualised|year|quarter|last|next|over|versus|vs|compared|"
    r"respectively|up|down|total|overall|or)\b)[a-z]{2,})",
    re.I,
)


# The opening that names the recording, its host or its record ("Good morning. This is the
# transcribed interview of Glenn Simpson.", "This is the Rational Reminder Podcast…", "I'm Bob
# Summerwill, recording here at…", "We're back on the record at 5:20."): it repeats the words a
# question names its occasion with, and no claim is made in it.
_OPENING = re.compile(
    r"^\W*(?:(?:good\s+(?:morning|afternoon|evening)|hello|hi|welcome(?:\s+back)?)"
    r"(?:\s+(?:everyone|everybody|all))?[.,!]\s+)?(?:so,?\s+|and\s+)?(?:yes,?\s+)?(?:"
    r"this\s+is\s+(?:(?:the|a)\s+(?:(?-i:[A-Z])[\w'’-]*\s+){1,5}(?:podcast|show|programme|"
    r"program|broadcast|webinar)\b|(?:the|a)\s+(?:transcribed\s+|recorded\s+)?(?:interview|"
    r"hearing|deposition)\s+of\b|the\s+\w+\s+(?:lecture|episode|session)\s+of\b|episode\s+\d)|"
    r"i['’]m\s+(?:(?-i:[A-Z])[\w.]*\s+){0,2}(?-i:[A-Z])[\w.]*,?\s+(?:and\s+)?"
    r"(?:i['’]m\s+|this\s+is\s+)?(?:recording|your\s+host|here\s+with|joined\s+by|"
    r"the\s+\w+\s+(?:lecture|episode|session)\b))|"
    r"\b(?:back|go|going|are|we['’]re)\s+(?:on|off)\s+the\s+record\b",
    re.I,
)


def is_opening(text: str) -> bool:
    """Whether the sentence opens the recording by naming it, its host or its record."""
    return bool(_OPENING.search(text))


def says_sum(text: str) -> bool:
    """Whether the sentence says a large sum without naming its currency ("…bringing
    year-to-date free cash flow to over 45 million."): in speech the currency goes unsaid, and
    a money question is answered by it when no quote names one."""
    return bool(_BARE_SUM.search(text))


def asks_year(question: str) -> bool:
    """Whether the question asks for a year ("In which year did the Go project move to Git?")."""
    return bool(_YEAR_Q.search(question))


def asks_day(question: str) -> bool:
    """Whether the question asks for a day of the calendar ("On what date did Turkey launch
    the operation?", "By which day…?")."""
    return bool(_DAY_Q.search(question))


def shows_day(text: str) -> bool:
    """Whether the sentence names a day: "on August 24, 2016", "the first of August", "on
    Thursday" ("in February of this year" and "next year, in 2020" name none)."""
    return bool(_DAY_SHOWN.search(text))


# "What exact provider URL do you type in?", "What web address did the project manager give?":
# answered by a quote that spells an address out.
_ADDRESS_Q = re.compile(
    r"\b(?:what|which)\s+(?:[\w-]+\s+){0,2}?(?:urls?|(?:web|website|e-?mail)\s+address(?:es)?)\b",
    re.I,
)
_DOMAIN_END = r"(?:com|org|net|io|gov|edu|co|uk|ru|de|dev)"
_ADDRESS = re.compile(
    rf"https?:|\bwww\b|\b[\w-]+\.{_DOMAIN_END}\b|\b[\w.-]+@[\w-]+\.\w|\bdot\s+{_DOMAIN_END}\b",
    re.I,
)


def asks_address(question: str) -> bool:
    """Whether the question asks for a web or an e-mail address."""
    return bool(_ADDRESS_Q.search(question))


def shows_address(text: str) -> bool:
    """Whether the sentence spells out an address: "https://…", "www",
    "token.actions.githubusercontent.com", "someone@example.org", "remote dot com" as speech
    says it."""
    return bool(_ADDRESS.search(text))


def asks_name(question: str) -> bool:
    """Whether the question asks what someone or something is called ("What is the name of
    the Kemerovo mayor…?", "What is the first name of the Industrial Designer?", "Which news
    outlet carried the story?")."""
    return bool(_NAME_Q.search(question))


def shows_name(text: str, question: str = "") -> bool:
    """Whether the sentence gives a name the question does not: a capitalised word inside it
    ("his name is Antyushin") or an acronym, other than a month, a weekday, a title or a post;
    a title in quotation marks; what something is called. A name formed from one the question
    gives is given."""
    given = _given_tokens(question)
    words = [
        w
        for match in _NAME.finditer(text)
        if not _names_a_post(text, match)
        for w in match.group().replace("-", " ").split()
        if w.lower() not in _NO_NAMES
    ] + _ACRONYM.findall(text)
    return (
        any(not _given_name(w.lower(), given) for w in words)
        or _quoted_new(text, given)
        or _called_new(text, given)
    )


def says_what_is_called(text: str, question: str = "") -> bool:
    """Whether the sentence says what something is called, by a name the question does not
    give: "I founded a company called Oxygen Africa.", "it's called sprocket league", a short
    title in quotation marks (the film “Sobibor”). Not a capitalised word alone ("the Russian
    participants"), nor words quoted ("They said: “As soon as grants became available…”")."""
    return bool(_QUOTED_TITLE.search(text)) or _called_new(text, _given_tokens(question))


def _quoted_new(text: str, given: frozenset[str]) -> bool:
    """Whether the text quotes something capitalised that is not a title the question gives
    (“War and Peace” names nothing new to "Who made the version of War and Peace…?")."""
    for match in _QUOTED_NAME.finditer(text):
        title = _QUOTED_TITLE.match(text, match.start())
        if title is None or _new(_TOKEN.findall(title.group().lower()), given):
            return True
    return False


def _called_new(text: str, given: frozenset[str]) -> bool:
    """Whether the text says something is called by a name the question does not give."""
    return any(not _given_name(m["name"].lower(), given) for m in _CALLED.finditer(text))


def _names_a_post(text: str, match: re.Match[str]) -> bool:
    """Whether the capitalised run is a post: it ends in one and follows an article or a
    possessive ("the Economy Minister")."""
    last = match.group().replace("-", " ").split()[-1].lower()
    return last in _POSTS and bool(_BEFORE_POST.search(text, 0, match.start()))


def _given_name(word: str, given: frozenset[str]) -> bool:
    """Whether the question gives the (lowercased) word or a word it is formed from or forms:
    one begins the other ("russia", "russian"), or they share their first _SHARED_STEM letters
    ("ukraine", "ukrainian")."""
    if word in given:
        return True
    return any(
        (len(g) >= 4 and len(word) >= 4 and (g.startswith(word) or word.startswith(g)))
        or (len(g) >= _SHARED_STEM and g[:_SHARED_STEM] == word[:_SHARED_STEM])
        for g in given
    )


def shows_figure(text: str, question: str = "") -> bool:
    """Whether the text writes a figure in digits that the question does not: an amount, a
    share, a year or a day ("On May 21, 2014 in Shanghai")."""
    given = _given_tokens(question)
    return any(f not in given for f in _FIGURE.findall(text))


def shows_year(text: str) -> bool:
    """Whether the sentence names a year: "in 2009", "last year", "three years ago" ("for 2 or
    3 years" is a duration, not a year)."""
    return bool(_YEAR_SHOWN.search(text))


def _is_count(words: Sequence[str], i: int) -> bool:
    """Whether words[i] (stripped, lowercased) is a figure or a number word, not a share
    ("40%", "40 percent")."""
    word = words[i]
    return bool(_COUNT.match(word)) and not (
        word.endswith("%") or words[i + 1 : i + 2] == ["percent"]
    )


def counts(noun: str, text: str, within: int = 5) -> bool:
    """Whether the text puts a number right before the noun ("37,000 vehicles", "some 1.5
    million questions", "114 promising oil and gas-bearing structures"): within `within` words
    after a figure or a number word, in the figure's own sentence. A share is no count: "it
    declined by 40%. Tourism dropped…" gives no number of tourists."""
    raw = text.split()
    words = [w.strip(_PUNCT).lower() for w in raw]
    key = stem(noun)[:5]
    for i, word in enumerate(words):
        if stem(word)[:5] == key and not _ends_sentence(raw[i]):
            # "…many states – 18, I think – joined": the number set off right after the noun.
            after = [j for j in range(i + 1, min(len(words), i + 3)) if words[j] not in _DASHES]
            if (
                after
                and _is_count(words, after[0])
                and not _YEAR.fullmatch(words[after[0]])
                and (after[0] == i + 1 or raw[i + 1] in _DASHES)
            ):
                return True
        if not _is_count(words, i):
            continue
        for n in range(i + 1, min(len(words), i + 1 + within)):
            if _ends_sentence(raw[n - 1]):
                break
            if stem(words[n])[:5] == key:
                return True
    return False


# The heads speech counts people by, whatever the question calls them: "up to 1.5 million
# people" (returning refugees), "23,000 people working from home" (Transneft staff).
_PERSON_HEADS = frozenset(["people", "persons", "citizens", "individuals", "residents"])
# How English names people by what they do or where they are from: volunteers, employees,
# entrepreneurs, inhabitants, tourists, programmers, servicemen.
_PERSON_NOUN = re.compile(r"(ers|ors|eurs|ists|ians|ees|eers|ants|ents|men|ives)$")
_NOT_PERSON_NOUN = re.compile(
    r"(ments|numbers|orders|letters|papers|offers|answers|centers|"
    r"meters|towers|powers|borders|transfers|layers|containers|"
    r"computers|waters|years|plants|grants|events|percents|cents)$"
)
_PERSON_NOUNS = frozenset(
    [
        "staff",
        "personnel",
        "refugees",
        "soldiers",
        "nationals",
        "children",
        "deaths",
        "victims",
        "pupils",
        "patients",
        "delegates",
        "guests",
    ]
)


# Plurals that speech counts the same things by, whichever the question uses.
_COUNTED_ALIKE_GROUPS = (
    ("planes", "aircraft", "airplanes", "jets"),
    ("sorties", "flights", "missions"),
    ("trips", "visits", "journeys"),
    ("countries", "nations", "states"),
    ("applications", "requests", "bids", "submissions"),
    ("plants", "factories", "facilities", "enterprises"),
    ("pupils", "students", "schoolchildren", "children"),
    ("employees", "workers", "staff", "personnel"),
    ("ships", "vessels", "boats"),
    ("cars", "vehicles"),
    ("homes", "houses", "flats", "apartments", "dwellings"),
    ("firms", "companies", "businesses", "enterprises"),
    ("doctors", "physicians", "medics"),
    ("audits", "checks", "inspections", "reviews"),
    ("cases", "infections"),
)


def _counted_alike() -> dict[str, tuple[str, ...]]:
    """Each noun of the groups with the others it is counted alike with, in every group."""
    alike: dict[str, dict[str, None]] = {}
    for group in _COUNTED_ALIKE_GROUPS:
        for noun in group:
            alike.setdefault(noun, {}).update(dict.fromkeys(o for o in group if o != noun))
    return {noun: tuple(others) for noun, others in alike.items()}


_COUNTED_ALIKE = _counted_alike()


# Things that happen, which speech counts in times: "spoke on the telephone with him 23 times"
# (phone calls), "I've been there five times" (visits).
_OCCURRENCES = frozenset(
    [
        *("calls", "conversations", "talks", "meetings", "visits", "trips", "attempts"),
        *("occasions", "appearances", "interviews", "games", "matches", "launches"),
    ]
)
_TIMES_COUNTED = re.compile(
    rf"(?:\b\d+|\b(?:{_CARDINAL_WORDS}|once|twice|several|dozens\s+of|hundreds\s+of))"
    r"\s+times\b(?!\s+(?:more|less|fewer|higher|lower|larger|smaller|bigger|greater|as|over|"
    r"the)\b)",
    re.I,
)
# Words after a figure that leave it bare: "…to the current 384,000 in 2017", "500, if I am…".
_BARE_FOLLOWERS = frozenset(["in", "if", "and", "or", "by", "this", "last", "so", "now", "today"])


def counts_loosely(noun: str, text: str) -> bool:
    """The counts of the noun that `counts` does not read, tried when no quote passes it: a
    bare figure after the noun in its sentence ("As for programmers, today we have about
    500,000.", "the number of submitted proposals has already exceeded 500"), or people
    counted as people when the noun names people ("Syria can now accommodate up to 1.5 million
    people"), under another name for the same things ("39 aircraft" for planes, "17 flights"
    for sorties, "620 verification visits" for trips), or things that happen counted in times
    ("spoke on the telephone with him 23 times" for calls; not "three times more"). A share is
    no count here either."""
    if any(counts(other, text) for other in _COUNTED_ALIKE.get(noun, ())):
        return True
    if noun in _OCCURRENCES and _TIMES_COUNTED.search(text):
        return True
    raw = text.split()
    words = [w.strip(_PUNCT).lower() for w in raw]
    key = stem(noun)[:5]
    people = noun in _PERSON_NOUNS or (
        bool(_PERSON_NOUN.search(noun)) and not _NOT_PERSON_NOUN.search(noun)
    )
    seen_noun = False
    for i, word in enumerate(words):
        if stem(word)[:5] == key:
            seen_noun = True
        if _is_count(words, i) and not _YEAR.fullmatch(word):
            following = [w for w in words[i + 1 : i + 1 + 4] if w not in _DASHES]
            if people and any(w in _PERSON_HEADS for w in following):
                return True
            bare = _ends_sentence(raw[i]) or raw[i].endswith(",") or not following
            if seen_noun and (bare or following[0] in _BARE_FOLLOWERS):
                return True
        if _ends_sentence(raw[i]):
            seen_noun = False
    return False


_DASHES = frozenset(["", "-", "–", "—", ":"])


def _ends_sentence(token: str) -> bool:
    return token.rstrip("\"'\u201d\u2019)]").endswith((".", "!", "?", ";"))


def ends_mid_clause(text: str) -> bool:
    """Whether the quote stops before its clause does: no closing punctuation, or it ends on a
    comma or a word that needs a continuation ("…three parts separated by")."""
    stripped = text.rstrip().rstrip("\"'\u201d\u2019)]")
    if not stripped:
        return False
    if stripped[-1] in "!?…":
        return False
    if stripped[-1] == ".":
        # ASR puts full stops where the speaker paused: "three parts separated by.", "the
        # hardest thing I've ever cooked is."
        body = stripped.rstrip(".").rstrip()
        if not body or not body[-1].isalpha():
            return False
        return bool(_OPEN_WORD_END.search(body)) or _copula_without_complement(body)
    return True if _OPEN_END.search(stripped) else stripped[-1].isalnum()


_COPULA = frozenset(["is", "are", "was", "were"])
# Before a final copula, a subject that makes the clause whole: "That's what it is.", "Here we
# are.", "I know who you are."
_COMPLETE_BEFORE_COPULA = frozenset(
    ["it", "that", "this", "they", "he", "she", "we", "you", "i", "there", "here", "which", "who"]
)
_WH = frozenset(["what", "who", "where", "how", "which", "when", "why", "whatever", "whoever"])


def _copula_without_complement(body: str) -> bool:
    """Whether a sentence stops at "is"/"was" after a noun, with no wh-word making it an
    embedded clause ("I don't know what the answer is." is whole): the speaker paused before
    saying what it is."""
    words = [w.strip(_PUNCT).lower() for w in body.split()]
    if len(words) < 3 or words[-1] not in _COPULA:
        return False
    if words[-2] in _COMPLETE_BEFORE_COPULA:
        return False
    return not any(w in _WH for w in words[-7:-1])


# Words that give a cause: "This was done because there had been abuses", "primarily due to
# the fact that we started using new instruments". Narrower than _REASON, whose aims and
# "therefore" are what a sentence without its cause also says.
_CAUSE = re.compile(
    r"\b(because|due\s+to|owing\s+to|thanks\s+to|caused\s+by|as\s+a\s+result\s+of|so\s+that|"
    r"in\s+order\s+to|the\s+reasons?\b|for\s+the\s+simple\s+reason|on\s+the\s+grounds|"
    r"(is|are|was|were)\s+(linked|connected|related)\s+(to|with)|explained\s+by)\b|"
    r"^\W*(first(ly)?|the\s+first\s+reason)\b",
    re.I,
)
# A conclusion drawn from what came before: "Therefore, for this type of goods, the
# restrictions will remain", "We therefore will get civil society to help us". Not "So…",
# which in speech mostly just goes on ("So we would like to propose battery…").
_CONCLUDES = re.compile(
    r"^\W*(?:\S+\s+){0,4}?(therefore|that\s+is\s+why|that's\s+why|this\s+is\s+why|"
    r"which\s+is\s+why|hence|for\s+this\s+reason|for\s+that\s+reason|as\s+a\s+result|"
    r"(?:that|this|which)\s+is\s+the\s+reason|consequently|thus)\b|"
    # "The tool as such is fine" concludes nothing: only as the sentence's opening.
    r"^\W*as\s+such\b",
    re.I,
)


# A short sentence that announces the cause the next one gives: "There is an explanation.",
# "There are two reasons."
_ANNOUNCES_CAUSE = re.compile(r"\b(explanations?|reasons?|why)\b", re.I)
_ANNOUNCEMENT_WORDS = 6


def announces_cause(text: str) -> bool:
    """Whether the sentence only announces a cause, which the next one gives."""
    return len(text.split()) <= _ANNOUNCEMENT_WORDS and bool(_ANNOUNCES_CAUSE.search(text))


def gives_cause(text: str) -> bool:
    """Whether the sentence states a cause ("because…", "due to…", "First, we need money.")."""
    return bool(_CAUSE.search(text))


# An example of what the sentence before says: "For example, children are often diagnosed as
# mentally retarded when this is not in fact the case."
_EXAMPLE = re.compile(r"^\W*(for\s+example|for\s+instance|in\s+particular|say,|e\.g\.)", re.I)


def gives_example(text: str) -> bool:
    """Whether the sentence opens as an example of the one before it."""
    return bool(_EXAMPLE.search(text))


# A yes or a no said outright, as a word of its own: "No, I do not.", "Yes. We did.",
# "Absolutely.", "Of course, …" (not "No one…", "No doubt…", "Yes-men").
_OUTRIGHT = re.compile(
    r"^\W*(?:yes|yeah|no|nope|of\s+course|certainly|absolutely|definitely|not\s+at\s+all|"
    r"exactly|correct|indeed|never)(?:\s*[.,!;:—–-](?!\w)|\s*$)",
    re.I,
)


def answers_outright(text: str) -> bool:
    """Whether the sentence opens with a yes or a no of its own ("No, I do not.")."""
    return bool(_OUTRIGHT.search(text))


# A sentence that opens by pointing back at what the one before it said, with a demonstrative:
# "These are three matters that concern people the most.", "That's the motto of our company.",
# "This is a fairly large number, but…" (not a time: "This year, my meetings…").
_POINTS_BACK = re.compile(
    r"^\W*(?:this|that|these|those|such)\b(?!\s+(?:year|month|week|day|morning|afternoon|"
    r"evening|night|time|summer|winter|spring|autumn|season)s?\b)",
    re.I,
)


def points_back(text: str) -> bool:
    """Whether the sentence opens with a demonstrative, pointing back at what was just said."""
    return bool(_POINTS_BACK.search(text))


def concludes(text: str) -> bool:
    """Whether the sentence opens by drawing a conclusion from the one before it."""
    return bool(_CONCLUDES.search(text))
