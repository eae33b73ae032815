"""Speaker labels to one name per person ("Prime Minister Dmitry Medvedev" -> "Dmitry Medvedev")."""

from __future__ import annotations

import re
from collections.abc import Iterable


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


__all__ = [
    "GENERIC_SPEAKERS",
    "canonical_speaker",
    "canonical_speakers",
    "is_particle",
    "is_title",
    "labelled_name",
    "second_mention",
    "spoken_name",
]

# Speaker labels that are roles, not people: never turned into a filter from a question.
GENERIC_SPEAKERS = frozenset({"question", "remark", "answer", "reply", "response", "voice"})

# Anonymised or diarised labels: kept exactly as written.
_ID_RE = re.compile(r"(?i)(?:speaker|spk|person|participant|spkr)[ _-]?\d+|speaker [a-z]")

# Words that make a label a title ("Prime Minister", "CEO of ...", "Mr"). Compared lowercased,
# without trailing dots. A title is stripped only when a name follows it.
_TITLE_WORDS = _words(
    """
    president vice-president premier prime minister chancellor secretary press deputy chairman
    chairwoman chairperson chair governor mayor head director director-general ceo cfo coo chief
    executive commander commander-in-chief rector ambassador king queen prince princess emir
    sultan sheikh crown emperor leader member patriarch metropolitan mufti rabbi archbishop bishop
    acting general colonel lieutenant major captain admiral sergeant sr mr mrs ms miss dr doctor
    professor prof academician senator hon honourable honorable right rt envoy aide adviser
    advisor ombudsman commissioner prosecutor prosecutor-general judge justice founder co-founder
    owner manager editor editor-in-chief journalist correspondent presenter host anchor moderator
    coordinator officer representative spokesman spokeswoman spokesperson first former honorary
    federal plenipotentiary presidential interior foreign defence defense finance economic
    """
)

# Titles that stay with a single name: "Patriarch Kirill", "King Salman".
_NAME_TITLES = _words(
    "patriarch metropolitan pope king queen prince princess emir sultan sheikh archbishop "
    "bishop mufti rabbi"
)

# Generic roles: "Question from Izhevsk" -> "Question".
_ROLE_WORDS = _words(
    "question remark reply answer response comment voice voices audience interpreter translator"
)

# Nouns that end an organisation or place name inside a title ("... Radio Company Mir ...").
_ORG_WORDS = _words(
    """
    company corporation bank fund group agency committee council ministry university institute
    federation republic region territory party union association service assembly duma court
    office board academy society foundation centre center club team station theatre theater
    district army navy forces government administration commission chamber league holding
    """
)

# Lower-case words that join the parts of a title ("President of the Republic of ...").
_CONNECTORS = _words("of the and for on in at to with from by under a an")

# Particles inside names ("Alexander Van der Bellen", "Hamad Bin Isa Al Khalifa").
_PARTICLES = _words(
    "van von der den de da di du del della la le al el bin ibn bint dos das ter ten zu y"
)
_NAME_PREFIX_RE = re.compile(r"(?i)(?:al|el|ad|as|ash|at|az|bin|ibn|d|l|o)[-'’]\w")

# Post-nominal letters after a name ("Lynne Neagle AM"), compared case-sensitively.
_POST_NOMINALS = _words("AM MP MS MSP MEP MLA MPP MHA MNA QC KC OBE CBE MBE KBE")

_CAMEL_RE = re.compile(r"^([A-Z][a-z]{3,})([A-Z][a-z]{2,}|[A-Z]{2,})$")  # "VladimirPutin"
_TAIL_CAP_RE = re.compile(r"^([A-Z][a-z]{2,})([A-Z])$")  # "PeskoV" (a capital typed late)


def _clean(label: str) -> str:
    text = " ".join(label.replace("\u00a0", " ").split())
    return text.rstrip(": ").strip()


def _split_parentheticals(text: str) -> tuple[str, list[str]]:
    """Text outside top-level (...) / [...] groups, and the groups' contents."""
    outside: list[str] = []
    groups: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch in "([":
            if depth == 0:
                current = []
            else:
                current.append(ch)
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
            if depth == 0:
                groups.append("".join(current).strip())
            else:
                current.append(ch)
        elif depth:
            current.append(ch)
        else:
            outside.append(ch)
    if depth and current:  # an unclosed "(" keeps what follows it as a group
        groups.append("".join(current).strip())
    return " ".join("".join(outside).split()), groups


def _label_base(label: str) -> str:
    """A label cleaned, without its remarks in brackets: "Mr. Merlyn Rees (The Secretary of
    State…)" -> "Mr. Merlyn Rees"."""
    return _clean(_split_parentheticals(_clean(label))[0])


def _bare(token: str) -> str:
    return token.strip(".,;").lower()


def is_title(token: str) -> bool:
    """A title or organisation word, including compounds like 'Secretary-General'."""
    bare = _bare(token)
    return (
        bare in _TITLE_WORDS
        or bare in _ORG_WORDS
        or any(part in _TITLE_WORDS for part in bare.split("-") if part)
    )


def _is_core(token: str) -> bool:
    """A token that can be part of a person's name: capitalised, an initial, or 'al-Assad'."""
    word = token.strip(",;")
    if not word or is_title(word) or (word.lower() in _CONNECTORS and len(word) > 1):
        return False
    return word[0].isupper() or bool(_NAME_PREFIX_RE.match(word))


def is_particle(token: str) -> bool:
    """A particle inside a name: "van", "de", "al", "bin"."""
    return token.lower() in _PARTICLES


def _letters(token: str) -> int:
    return sum(ch.isalpha() for ch in token)


def _split_camel(token: str) -> list[str]:
    match = _CAMEL_RE.match(token)
    if match:
        return [match.group(1), match.group(2)]
    match = _TAIL_CAP_RE.match(token)
    if match:
        return [match.group(1) + match.group(2).lower()]
    return [token]


def _tidy_name(tokens: list[str]) -> str:
    """Join name tokens, title-casing ones typed in capitals ("MAXIM TOPILIN")."""
    out: list[str] = []
    shouting = all(t.isupper() for t in tokens if _letters(t))
    for token in tokens:
        if len(tokens) > 1 and token.isupper() and (_letters(token) >= 5 or shouting):
            token = re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), token)
        out.append(token)
    return " ".join(out)


def _name_after_title(text: str) -> str | None:
    """The person's name in a label that carries a title, or None when no name follows one."""
    tokens: list[str] = []
    for token in text.split():
        tokens.extend(_split_camel(token))
    while len(tokens) > 1 and tokens[-1].strip(",") in _POST_NOMINALS:
        tokens.pop()
    if not tokens:
        return None
    # A title, a joining word or a job in lower case ("History teacher Anton Molev").
    has_title = any(
        is_title(t) or t.lower() in _CONNECTORS or (t[0].islower() and not _is_core(t))
        for t in tokens
        if not is_particle(t)
    )
    if not has_title:
        if all(_is_core(t) or is_particle(t) for t in tokens):
            return _tidy_name(tokens)
        return None
    # The run of name-like tokens at the end of the label.
    start = len(tokens)
    while start > 0 and (_is_core(tokens[start - 1]) or is_particle(tokens[start - 1])):
        start -= 1
    run = tokens[start:]
    if "All" in run[:-2]:
        # "Patriarch of Moscow and All Russia Kirill": a see ends "All <country>" before the name.
        start += run.index("All") + 2
        run = tokens[start:]
    while run and is_particle(run[0]):
        run.pop(0)
    cores = [t for t in run if not is_particle(t)]
    if not cores or max(_letters(t) for t in cores) < 2:
        return None  # "Professor E", "Prime Minister": no name follows the title
    if len(cores) == 1 and start > 0:
        # "Patriarch Kirill", "Patriarch of Moscow and All Russia Kirill"
        title = next((t for t in (tokens[start - 1], tokens[0]) if _bare(t) in _NAME_TITLES), None)
        if title is not None:
            return _tidy_name([title.strip(".,"), *run])
    # The run may begin with a place or a job ("President of Russia Vladimir Putin", "Chief
    # Physician Alexei Slobodyanik"): keep the last two name tokens, and a third one joined to
    # them by a particle ("Hamad Bin Isa Al Khalifa").
    kept: list[str] = []
    count = 0
    i = len(run) - 1
    while i >= 0:
        token = run[i]
        if is_particle(token):
            kept.insert(0, token)
        elif count < 2 or (kept and is_particle(kept[0])):
            kept.insert(0, token)
            count += 1
        else:
            break
        i -= 1
    while kept and is_particle(kept[0]):
        kept.pop(0)
    return _tidy_name(kept) if kept else None


def canonical_speaker(label: str | None) -> str | None:
    """One name per person: strips titles, remarks in brackets and a trailing colon."""
    if label is None:
        return None
    text = _clean(label)
    if not text:
        return None
    if _ID_RE.fullmatch(text):
        return text
    base, groups = _split_parentheticals(text)
    if not base:
        # "(PERSON3)": the whole label is in brackets
        return canonical_speaker(groups[0]) if groups and groups[0] else None
    if _ID_RE.fullmatch(base):
        return base
    words = base.split()
    if words[0].lower() in _ROLE_WORDS and (len(words) == 1 or words[1] in _CONNECTORS | {"from"}):
        return words[0].capitalize()  # "REPLY" -> "Reply", "Question from Izhevsk" -> "Question"
    if "," in base:
        # "Vladimir Putin, President of Russia", "Vladivostok, Yulia Matveyeva": a part that is
        # a name alone is the person's. Otherwise the last part that ends in a name is: "Minister
        # of Digital Development, Communications and Mass Media Maksut Shadayev" cuts the
        # portfolio at its comma, and "Digital Development" is no one.
        named = [
            (part, name)
            for part in base.split(",")
            if (name := _name_after_title(part)) and len(name.split()) >= 2
        ]
        alone = [name for part, name in named if name == _tidy_name(part.split())]
        if alone:
            return alone[0]
        if named:
            return named[-1][1]
    name = _name_after_title(base)
    if name is not None:
        return name
    # A role with the person in brackets: "The Chair (Hon. Anthony Rota (Nipissing, Lib.))".
    for group in groups:
        inner = canonical_speaker(group) if group else None
        if inner and len(inner.split()) >= 2 and all(_is_core(t) for t in inner.split()):
            return inner
    return base


def spoken_name(label: str | None, canonical: str | None) -> str | None:
    """The name to say a quote is someone's: the canonical one, unless that is a bare surname
    the label gives with a title ("MR. LEVY", "Dr. Glyn", "Chairman Grassley"): hearings and
    Hansard name people so, and "LEVY said" reads as nobody in particular."""
    if not label or not canonical or " " in canonical:
        return canonical
    base = _label_base(label)
    words = base.split()
    titled = len(words) >= 2 and all(is_title(w) for w in words[:-1])
    return base if titled and _bare(words[-1]) == canonical.lower() else canonical


def labelled_name(label: str | None, canonical: str | None) -> str | None:
    """The name to answer "Who said…?" with: the person as the transcript labels them, with
    the name the library knows them by when the label does not hold it ("Michael Latham (Mr.
    Latham)", "Bruce Stanton (The Acting Chair)"); the label alone when it does ("Angela Burns
    AM", "Defence Minister Sergei Shoigu"). A reader checks the answer against the transcript,
    which names people so."""
    name = spoken_name(label, canonical)
    if not label or not name:
        return name
    base = _label_base(label)
    if not base or base.lower() == name.lower():
        return name
    return base if name.lower() in base.lower() else f"{name} ({base})"


# Words of the role labels meetings and recordings use for people ("Industrial Designer",
# "User Interface", "Marketing Expert", "Postdoc A"): a role is named whole every time.
_ROLE_LABEL_WORDS = _words(
    "designer interface marketing expert postdoc undergrad grad phd interviewer interviewee "
    "guest caller participant student teacher witness panelist panellist audience"
)


def second_mention(name: str) -> str:
    """How an answer names a speaker it has just quoted: a person by the surname ("Nazarbayev
    added"), a role or a diarised label whole ("Project Manager added", "Speaker 3 added",
    "Grad A added")."""
    words = name.split()
    last = words[-1] if words else ""
    role = any(
        _bare(w) in _TITLE_WORDS or _bare(w) in _ROLE_LABEL_WORDS or _bare(w) in _ROLE_WORDS
        for w in words
    )
    letters = last.replace("-", "").replace("'", "").replace("’", "")
    if len(words) < 2 or role or _ID_RE.fullmatch(name) or len(last) < 2 or not letters.isalpha():
        return name
    return last


def canonical_speakers(labels: Iterable[str | None]) -> dict[str, str | None]:
    """Canonical names for the labels of one transcript, using its other labels to complete names.

    "President of Turkey Recep Tayyip Erdogan" alone gives "Tayyip Erdogan"; when the same
    transcript also has the label "Recep Tayyip Erdogan", both map to the full name.
    """
    found: dict[str, str | None] = {}
    for label in labels:
        if label is not None and label not in found:
            found[label] = canonical_speaker(label)
    names = {name for name in found.values() if name}
    result: dict[str, str | None] = {}
    for label, name in found.items():
        if name:
            words = _label_base(label).split()
            best = name
            for other in names:
                other_words = other.split()
                if (
                    len(other_words) > len(best.split())
                    and other_words[-len(name.split()) :] == name.split()
                    and words[-len(other_words) :] == other_words
                ):
                    best = other
            name = _surname_owner(label, best, names) or best
        result[label] = name
    return result


def _surname_owner(label: str, name: str, names: set[str]) -> str | None:
    """The one fuller name of this transcript a titled surname stands for: Hansard and court
    records name a member in full once ("Mr. Merlyn Rees") and by surname after ("Mr. Rees")."""
    if len(name.split()) != 1 or _ID_RE.fullmatch(name):
        return None
    first = _label_base(label).split()[:1]
    if not first or not is_title(first[0]):
        return None
    owners = {
        other
        for other in names
        if len(other.split()) > 1 and other.split()[-1].lower() == name.lower()
    }
    return owners.pop() if len(owners) == 1 else None
