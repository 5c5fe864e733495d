"""What a question asks for: the kind of answer (a person, a place, a date, an amount, ...) as
the entity labels that can answer it, and the key terms and years it is constrained by."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.entities import LABEL_ID
from qa.sentences import Term, key_terms, stem, stems_of
from qa.timeframe import YEARS


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


@dataclass(frozen=True, slots=True)
class QuestionAnalysis:
    question: str
    kind: str | None  # a key of KINDS, or None for "what did X say", "why", "how did"
    labels: frozenset[int]  # entity labels that can answer it
    noun: str | None  # stem of the noun in "which NOUN" ("minist"), which an answer names
    terms: tuple[Term, ...]  # key terms (stemmed; names and numbers marked)
    stems: frozenset[str]  # stems of every word of the question
    years: tuple[int, ...]  # years it names: an answer must be about them

    @property
    def asked(self) -> str:
        """What is asked, as a decline names it: "when", "how much", "which organisation"."""
        return KINDS[self.kind][1] if self.kind else "the answer"


def analyse_question(question: str) -> QuestionAnalysis:
    kind, noun = _kind(question)
    return QuestionAnalysis(
        question=question,
        kind=kind,
        labels=KINDS[kind][0] if kind else frozenset(),
        noun=noun,
        terms=tuple(key_terms(question)),
        stems=stems_of(question),
        years=tuple(
            sorted({int(y) for y in YEARS.findall(question)})
        ),  # as qa.timeframe reads them
    )


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
