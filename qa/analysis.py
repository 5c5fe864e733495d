"""The question, read once: what it asks for: the kind of answer (a person, a place, a date, an amount, ...) as
the entity labels that can answer it, and what it fixes that an answer must fit: its key terms,
the years it names, the edition of an event ("Super Bowl LVIII", "the 96th Academy Awards") and
the names it asks about ("the Bank of England", "OpenAI")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.entities import LABEL_ID
from qa.sentences import NAME_JOINERS, WORD, Term, key_terms, names_in, stem, stems_of
from qa.timeframe import MONTH, YEARS


def _labels(*names: str) -> frozenset[int]:
    return frozenset(LABEL_ID[name] for name in names)


# Answer kind -> the entity labels that can answer it, and how a decline names what is missing.
KINDS: dict[str, tuple[frozenset[int], str]] = {
    "person": (_labels("PERSON"), "who"),
    "name": (_labels("PERSON", "ORG", "GPE"), "who"),
    "organisation": (_labels("ORG"), "which organisation"),
    # A team goes by its nickname ("the Broncos", often tagged NORP or PRODUCT) as often as by
    # its full name (ORG). Its city alone (GPE) is left out: cities are named around every game.
    "team": (_labels("ORG", "NORP", "PRODUCT"), "which team"),
    "place": (_labels("GPE", "LOC", "FAC"), "where"),
    "date": (_labels("DATE", "TIME"), "when"),
    "duration": (_labels("DATE", "TIME"), "how long"),
    "number": (_labels("CARDINAL", "QUANTITY", "MONEY", "PERCENT"), "how many"),
    # "How many years since …": the recogniser tags "24 years" a date, "24" alone a number.
    "time_count": (_labels("DATE", "TIME", "CARDINAL"), "how many"),
    "amount": (_labels("MONEY", "QUANTITY", "PERCENT", "CARDINAL"), "how much"),
    "money": (_labels("MONEY"), "how much"),
    "percentage": (_labels("PERCENT"), "what share"),
    "age": (_labels("DATE", "CARDINAL"), "how old"),
    "nationality": (_labels("NORP", "GPE"), "which nationality"),
    "work": (_labels("WORK_OF_ART", "PRODUCT", "ORG"), "which title"),
    "event": (_labels("EVENT"), "which event"),
}

# "Which NOUN" / "what NOUN" -> the kind of answer that noun asks for.
NOUN_KINDS = {
    "person": {"minister", "official", "leader", "person", "people", "expert", "spokesman",
               "spokesperson", "president", "journalist", "reporter", "analyst", "player",
               "actor", "actress", "singer", "author", "writer", "director", "ceo", "chairman",
               "candidate", "coach", "manager", "athlete", "founder", "executive", "artist",
               "politician", "judge", "senator", "governor", "winner", "man", "woman", "chief",
               "star", "driver", "scientist", "economist", "prime", "secretary", "envoy"},
    "organisation": {"company", "firm", "organisation", "organization", "party",
                     "agency", "outlet", "newspaper", "network", "brand", "bank", "group",
                     "startup", "union", "airline", "manufacturer", "retailer", "broadcaster",
                     "publisher", "studio", "university", "school", "institution", "automaker",
                     "carmaker", "platform", "service", "business", "charity", "body", "court"},
    "team": {"team", "club", "side", "squad", "opponent", "opponents", "rival", "franchise"},
    "place": {"region", "city", "country", "place", "province", "state", "town", "area",
              "venue", "capital", "territory", "location", "island", "port", "continent",
              "nation", "stadium", "village", "district", "county", "site", "border"},
    "date": {"year", "month", "day", "date", "week", "time", "season", "decade", "century"},
    "amount": {"amount", "sum", "value", "loss", "sales", "fund", "deal", "bill", "rate",
               "temperature", "score", "number", "figure", "total", "population", "distance",
               "height", "weight", "speed", "size"},
    # Said only of money: a count of cars is no answer to "what was Tesla's revenue".
    "money": {"price", "cost", "revenue", "salary", "fine", "budget", "fee", "valuation",
              "profit", "income", "funding", "debt", "earnings", "wage", "investment",
              "spending", "worth", "turnover"},
    "percentage": {"percentage", "percent", "share", "proportion"},
    "nationality": {"nationality"},
    "work": {"film", "movie", "book", "song", "album", "show", "series", "game", "novel", "play",
             "title", "product", "phone", "model", "app", "device", "car", "drug", "vaccine"},
    "event": {"event", "tournament", "championship", "festival", "election", "war", "race",
              "competition", "summit", "conference", "award", "prize"},
}  # fmt: skip
# "How much did it cost / did they pay / was it sold for": an amount of money.
MONEY_VERBS = {"cost", "costs", "pay", "paid", "pays", "spend", "spent", "earn", "earned",
               "earns", "raise", "raised", "charge", "charged", "owe", "owed", "sold", "sell",
               "invest", "invested", "worth", "fined", "fine", "priced"}  # fmt: skip
TIME_UNITS = {"seconds", "minutes", "hours", "days", "nights", "weeks", "months", "years",
              "decades", "centuries"}  # fmt: skip
NOUN_KIND = {noun: kind for kind, nouns in NOUN_KINDS.items() for noun in nouns}
WH = re.compile(r"\b(who|whom|whose|when|where|how|which|what)\b", re.I)
LEADING = {"is", "was", "are", "were", "the", "a", "an"}
AUXILIARIES = {"is", "was", "are", "were", "did", "does", "do", "has", "had", "have", "will",
               "would", "can", "could", "should", "may", "might", "must"}  # fmt: skip
# "What is the name of …", "Name the …": a name of any kind.
NAME_QUESTION = re.compile(r"\b(?:what is the name|what was the name|name the|named)\b", re.I)


# An edition of an event: a Roman numeral after its name ("Super Bowl LVIII", "WrestleMania
# XL"), or an ordinal before it ("the 96th Academy Awards", "the 58th Super Bowl").
ROMAN = re.compile(
    r"(?=[MDCLXVI]{2,}\b)M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})\b"
)
ORDINAL = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\b", re.I)
ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}
MONTH_WORD = re.compile(rf"^{MONTH}$", re.I)


# An outlet the question cites as a source: "an article from The Guardian", "a Bloomberg
# report", "reported by CNN". A name in quotes or capitalised words, joined by "of", "the", "&".
OUTLET_NAME = r"['‘\"“]?((?:[A-Z][\w&.'’-]*)(?:\s+(?:of|the|&|-|[A-Z][\w&.'’-]*))*)['’\"”]?"
OUTLET_WORK = (
    r"(?:article|articles|report|reports|piece|review|coverage|analysis|story|stories|"
    r"editorial|column|feature|publication|investigation|podcast|interview|op-ed)"
)
# What only a news outlet writes: "a White House report" or "the UN's analysis" may be quoted
# in any outlet's article; "a Rolling Stone article" is Rolling Stone's own.
ARTICLE_WORK = r"(?:article|articles|piece|coverage|story|stories|editorial|column|op-ed|podcast)"


# Before these, a name is whose work it is only if it writes ("a Bloomberg report"): "an NCAA
# investigation" or "a Pentagon analysis" is the NCAA's or the Pentagon's, not an outlet's.
WRITTEN_WORK = r"(?:article|articles|report|reports|piece|review|coverage|story|stories|column)"


def _outlet_phrases(work: str) -> tuple[re.Pattern[str], ...]:
    by = r"(?:from|by|in|published by|published in)"
    written = work if work == ARTICLE_WORK else WRITTEN_WORK
    return (
        re.compile(rf"\b{work}\s+{by}\s+(?:the\s+)?{OUTLET_NAME}"),
        re.compile(rf"\b(?:from|by|in)\s+(?:the\s+)?{OUTLET_NAME}(?:'s|’s)?\s+{work}\b"),
        re.compile(rf"\b(?:a|an|the|another|one)\s+{OUTLET_NAME}(?:'s|’s)?\s+{written}\b"),
    )


OUTLET_PHRASES = (
    *_outlet_phrases(OUTLET_WORK),
    re.compile(rf"\breported by\s+(?:the\s+)?{OUTLET_NAME}"),
)
ARTICLE_PHRASES = _outlet_phrases(ARTICLE_WORK)


@dataclass(frozen=True, slots=True)
class CitedOutlet:
    """An outlet the question asks what it reported."""

    name: str  # as written: "The Guardian", "Rolling Stone"
    writes_articles: bool  # cited for an article or a story, not only a "report" (the UN's)


@dataclass(frozen=True, slots=True)
class Edition:
    """The edition a question fixes: its number and the word it goes with ("bowl" in "Super
    Bowl LVIII", "academi" in "96th Academy Awards")."""

    number: int
    anchor: str  # stem of the name word beside the number
    roman: bool  # written after the name, in Roman numerals (else an ordinal before it)


@dataclass(frozen=True, slots=True)
class FixedName:
    """A name the question asks about. A sentence, its headline, the sentence before it or its
    outlet names it when it has the name's last word ("Murati" for "Mira Murati", "England"
    for "the Bank of England": the Reserve Bank of Australia is another bank)."""

    surface: str
    key: str  # stem of its last word


@dataclass(frozen=True, slots=True)
class QuestionAnalysis:
    question: str
    kind: str | None  # a key of KINDS, or None for "what did X say", "why", "how did"
    labels: frozenset[int]  # entity labels that can answer it
    noun: str | None  # stem of the noun in "which NOUN" ("minist"), which an answer names
    terms: tuple[Term, ...]  # key terms (stemmed; names and numbers marked)
    stems: frozenset[str]  # stems of every word of the question
    years: tuple[int, ...]  # years it names: an answer must be about them
    editions: tuple[Edition, ...] = ()  # editions it names: an answer can't be about another
    names: tuple[FixedName, ...] = ()  # names it asks about: an answer names one of them
    yes_no: bool = False  # answered yes or no ("Did the Fed raise rates?")
    outlets: tuple[CitedOutlet, ...] = ()  # outlets it cites ("a Bloomberg article")

    @property
    def asked(self) -> str:
        """What is asked, as a decline names it: "when", "how much", "which organisation"."""
        return KINDS[self.kind][1] if self.kind else "the answer"


# "Where was she CEO before?", "Where did he work?": a workplace is a company as often as a place.
WORKPLACE = re.compile(
    r"\bwhere\b.*\b(?:ceo|chief|executive|work|worked|works|working|employed|job|president|"
    r"chairman|chairwoman|director|founder|head|manager|intern|study|studied)\b",
    re.IGNORECASE,
)


def analyse_question(question: str) -> QuestionAnalysis:
    kind, noun = _kind(question)
    labels = KINDS[kind][0] if kind else frozenset()
    if kind == "place" and WORKPLACE.search(question):
        labels |= _labels("ORG")
    return QuestionAnalysis(
        question=question,
        kind=kind,
        labels=labels,
        noun=noun,
        terms=tuple(key_terms(question)),
        stems=stems_of(question),
        years=tuple(
            sorted({int(y) for y in YEARS.findall(question)})
        ),  # as qa.timeframe reads them
        editions=editions_in(question),
        names=fixed_names(question),
        yes_no=asks_yes_no(question),
        outlets=cited_outlets(question),
    )


def roman_value(numeral: str) -> int:
    values = [ROMAN_VALUES[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def editions_in(text: str) -> tuple[Edition, ...]:
    """The editions a text names: a Roman numeral after a capitalised word, or an ordinal
    before one."""
    found = []
    for match in ROMAN.finditer(text):
        before = re.search(r"([A-Z][\w'’-]*)\s+$", text[: match.start()])
        if (
            before
            and match.group(0)
            and not (before.group(1).isupper() and len(before.group(1)) > 1)
        ):
            found.append(Edition(roman_value(match.group(0)), stem(before.group(1)), True))
    for match in ORDINAL.finditer(text):
        after = re.match(r"\s+(?:annual\s+)?([A-Z][\w'’-]*)", text[match.end() :])
        if after:
            found.append(Edition(int(match.group(1)), stem(after.group(1)), False))
    return tuple(dict.fromkeys(found))


def edition_fit(text: str, editions: tuple[Edition, ...]) -> int:
    """1: the text names an asked edition; -1: it names only other editions of an asked event
    ("Super Bowl LVII" for a question about LVIII); 0: neither."""
    here = editions_in(text) if editions else ()
    fit = 0
    for asked in editions:
        same_event = [e for e in here if e.anchor == asked.anchor and e.roman == asked.roman]
        if any(e.number == asked.number for e in same_event):
            return 1
        if same_event:
            fit = -1
    return fit


def cited_outlets(question: str) -> tuple[CitedOutlet, ...]:
    """The outlets a question asks what they reported; not a month ("the December report")."""

    def names(phrases: tuple[re.Pattern[str], ...]) -> list[str]:
        found = []
        for phrase in phrases:
            for match in phrase.finditer(question):
                name = re.sub(r"['’]s$", "", match.group(1)).strip(" '’\"”")
                if name and not MONTH_WORD.match(name) and name not in found:
                    found.append(name)
        return found

    articles = names(ARTICLE_PHRASES)
    return tuple(CitedOutlet(name, name in articles) for name in names(OUTLET_PHRASES))


def outlet_key(name: str) -> str:
    """An outlet's name as compared: lower case, without a leading "the" or the section after
    a dash or bar ("BBC News - Technology" is "bbc news")."""
    name = re.split(r"\s[-|:]\s|:", name)[0]
    return re.sub(r"^the\s+", "", " ".join(name.lower().split()))


def outlet_indexed(name: str, indexed: set[str]) -> bool:
    """Whether an outlet the question names is one of `indexed` (outlet_key of each indexed
    outlet, whole and before a dash): the same name, or one that starts the other by whole
    words ("BBC" for "BBC News", "The Independent" for "The Independent - Sports")."""
    key = outlet_key(name)
    return any(key == o or o.startswith(key + " ") or key.startswith(o + " ") for o in indexed)


def fixed_names(question: str) -> tuple[FixedName, ...]:
    """The names a question asks about (qa.sentences.names_in), less a year, a month, a number
    or an edition in them, which are constraints of their own."""
    names = []
    for name in names_in(question):
        # Words as a sentence's stems are read (qa.sentences.stems_of splits "Spider-Man" into
        # "Spider" and "Man"), so that the last one is compared as it is stored.
        words = [
            w for w in WORD.findall(name)
            if not (YEARS.fullmatch(w) or w.isdigit() or MONTH_WORD.match(w) or ROMAN.fullmatch(w)
                    or w.lower() in NAME_JOINERS)
        ]  # fmt: skip
        if words:
            names.append(FixedName(name, stem(words[-1].strip("'’"))))
    return tuple(dict.fromkeys(names))


def asks_yes_no(question: str) -> bool:
    """Whether the question is answered yes or no: it opens with an auxiliary ("Did the Fed
    raise rates?", "Does the TechCrunch article agree with …?"), not with a wh-word."""
    first = re.match(r"\s*([A-Za-z]+)", question)
    return first is not None and first.group(1).lower() in AUXILIARIES


def _kind(question: str) -> tuple[str | None, str | None]:
    """(kind, noun stem) from the first wh-word that says what is asked."""
    for match in WH.finditer(question):
        word = match.group(1).lower()
        if word in {"who", "whom", "whose"}:
            return "name", None
        if word == "when":
            return "date", None
        if word == "where":
            return "place", None
        after = [w.lower() for w in re.findall(r"[A-Za-z]+", question[match.end() :])][:6]
        if word == "how":
            if after and after[0] in {"many", "much", "long", "old", "far", "big", "large"}:
                if after[0] == "much" and MONEY_VERBS & set(after[1:]):
                    return "money", None  # "how much did the rifle cost"
                if after[0] == "many" and after[1:2] and after[1] in TIME_UNITS:
                    return "time_count", None  # "how many years since …"
                return {"many": "number", "long": "duration", "old": "age"}.get(
                    after[0], "amount"
                ), None
            continue
        # "which ministers", "what Russian company", "what was Tesla's revenue": the noun
        # comes within a few words, after at most two names or adjectives; a verb after them
        # ends the phrase ("what gifts did the two leaders exchange" asks for gifts).
        skipped = 0
        for following in after:
            kind = NOUN_KIND.get(following) or NOUN_KIND.get(following.removesuffix("s"))
            if kind:
                return kind, stem(following)
            if following in LEADING and not skipped:
                continue
            if following in AUXILIARIES or skipped >= 2:
                break
            if following not in {"s", "of"}:
                skipped += 1
    if NAME_QUESTION.search(question):
        return "name", None
    if not WH.search(question):
        # A search-box query ("Super Bowl 2021 location"): its last kind-bearing noun.
        for word in reversed(re.findall(r"[A-Za-z]+", question.lower())):
            kind = NOUN_KIND.get(word) or NOUN_KIND.get(word.removesuffix("s"))
            if kind:
                return kind, stem(word)
    return None, None
