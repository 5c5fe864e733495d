"""Key terms of questions and sentences, and what kind of answer a question asks for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’]*")
PRONOUN_START = re.compile(
    r"^(?:he|she|it|they|them|his|her|its|their|this|these|that|those|but|however|also|"
    r"meanwhile|instead|still|yet)\b",
    re.IGNORECASE,
)


def starts_with_reference(sentence: str) -> bool:
    """Whether the sentence leans on the one before it ("He said...", "But...")."""
    return bool(PRONOUN_START.match(sentence.lstrip("\"“‘' ")))


# Words that carry no topic: question words, auxiliaries and reporting verbs.
QUESTION_WORDS = {
    "what", "who", "whom", "whose", "which", "when", "where", "why", "how", "did", "does", "do",
    "is", "are", "was", "were", "will", "would", "can", "could", "should", "has", "have", "had",
    "say", "said", "says", "tell", "told", "about", "many", "much", "there", "any", "get", "also", "and", "the", "a", "an", "of", "to", "in", "on", "for", "with", "by", "at",
    "from", "as", "it", "its", "this", "that", "these", "those", "he", "she", "they", "him", "her",
    "them", "his", "their", "be", "been", "being", "or", "not", "no", "yes", "so", "if", "then",
    "than", "into", "after", "before", "during", "between", "other", "else", "happen",
    "happened", "according", "article", "articles", "report", "reported", "news", "me", "i", "you",
    "we", "us", "our", "your", "my", "some", "one", "ones",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Term:
    stem: str
    surface: str
    is_entity: bool  # a capitalised name or a number: must be matched, not paraphrased


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


# Words repeat across sentences and questions; lemmatising dominated answer time uncached.
@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Lemma, then Snowball stem: "gave" and "give", "ministers" and "minister" meet."""
    import simplemma

    lower = word.lower().replace("’", "'").removesuffix("'s")
    return str(_stemmer().stemWord(simplemma.lemmatize(lower, lang="en").lower()))


def key_terms(question: str) -> list[Term]:
    """Content words of a question, stemmed; names and numbers are marked as entities."""
    terms: dict[str, Term] = {}
    for index, match in enumerate(WORD.finditer(question)):
        word = match.group(0).strip("'’")
        lower = word.lower()
        # "US" the country is not "us" the pronoun: an all-capitals word is always kept.
        if len(lower) < 2 or (lower in QUESTION_WORDS and not word.isupper()):
            continue
        is_entity = word[0].isdigit() or (word[0].isupper() and (index > 0 or word.isupper()))
        key = stem(word)
        previous = terms.get(key)
        terms[key] = Term(key, word, is_entity or bool(previous and previous.is_entity))
    return list(terms.values())


def key_phrases(question: str) -> list[str]:
    """Runs of adjacent key words, as written: "Who won the 2021 Tour de France?" ->
    ["won", "2021 Tour de France"]."""
    phrases: list[str] = []
    start = end = -1
    for match in WORD.finditer(question):
        word = match.group(0).strip("'’")
        if len(word) < 2 or (word.lower() in QUESTION_WORDS and not word.isupper()):
            continue
        if start >= 0 and question[end : match.start()].strip(" -") == "":
            end = match.end()
            continue
        if start >= 0:
            phrases.append(question[start:end])
        start, end = match.start(), match.end()
    if start >= 0:
        phrases.append(question[start:end])
    return phrases


@lru_cache(maxsize=50_000)  # the same sentences come back across questions
def stems_of(text: str) -> frozenset[str]:
    return frozenset(stem(m.group(0).strip("'’")) for m in WORD.finditer(text))


WH_WORD = re.compile(r"\b(who|whom|whose|when|where|how (?:many|much|long|old|far|often))\b", re.I)
NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:[ \-][A-Z][a-z]+)+")
DATE_WORDS = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|"
    r"tomorrow|\d{4}|\d+ (?:days?|weeks?|months?|years?) ago)\b"
)
PLACE = re.compile(
    r"\b(?:in|at|to|from|near|outside)\s+(?:the\s+)?([A-Z][\w’'\-]+(?:\s[A-Z][\w’'\-]+)*)"
)
QUANTITY = re.compile(
    r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|"
    r"hundreds?|thousands?|millions?|billions?|half)\b",
    re.I,
)


# "Which ministers", "which Russian ministers": the noun is the first or second word after.
WHICH_NOUN = re.compile(r"\b(?:which|what)\s+(\w+)(?:\s+(\w+))?", re.I)
NOUN_TYPES = {
    "name": {"minister", "ministers", "official", "officials", "leader", "leaders", "people",
             "person", "expert", "experts", "spokesman", "spokesperson", "president", "journalist",
             "journalists", "reporter", "reporters", "analyst", "analysts", "company", "companies"},
    "place": {"region", "city", "country", "countries", "place", "province", "state", "town",
              "area", "venue", "capital", "territory", "territories"},
    "date": {"year", "month", "day", "date", "week", "time"},
}  # fmt: skip


def _which_noun(question: str) -> tuple[str, str] | None:
    """(kind, word) for a "which/what NOUN" question: ("name", "ministers") for "Which ministers"."""
    for match in WHICH_NOUN.finditer(question):
        for word in filter(None, match.groups()):
            for kind, nouns in NOUN_TYPES.items():
                if word.lower() in nouns:
                    return kind, word
    return None


def expected_answer_type(question: str) -> str | None:
    """What kind of thing the question asks for: a name, a date, a place or a quantity."""
    match = WH_WORD.search(question)
    if not match:
        which = _which_noun(question)
        return which[0] if which else None
    word = match.group(1).lower()
    if word in {"who", "whom", "whose"}:
        return "name"
    if word == "when":
        return "date"
    if word == "where":
        return "place"
    return "quantity"


def asked_noun(question: str) -> str | None:
    """The stem of the thing a "which/what NOUN" question asks for ("Which ministers" ->
    "minist"); a sentence that answers it names one ("defence minister Andrei Belousov")."""
    which = _which_noun(question)
    return stem(which[1]) if which else None


def has_answer_type(sentence: str, answer_type: str, question_stems: frozenset[str]) -> bool:
    """Whether the sentence contains a thing of that kind that the question didn't already name."""
    if answer_type == "name":
        found = [m.group(0) for m in NAME.finditer(sentence)]
    elif answer_type == "date":
        found = [m.group(0) for m in DATE_WORDS.finditer(sentence)]
    elif answer_type == "place":
        found = [m.group(1) for m in PLACE.finditer(sentence)]
    else:
        found = [m.group(0) for m in QUANTITY.finditer(sentence)]
    if answer_type == "name":
        # A name is new only if none of its words was asked about ("Mr Putin" is not new when
        # the question names Putin; "Andrei Belousov" is).
        return any(not stems_of(item) & question_stems for item in found)
    return any(not stems_of(item) <= question_stems for item in found)
