"""Key terms of questions and sentences: stemmed words, names and numbers, and key phrases."""

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


# Any letters, not only ASCII: "Pogačar" is one word.
NAME_WORD = re.compile(r"[^\W_][\w'’]*")
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


# A death toll counts people who died: news gives one figure as "12 people died", "12 were
# killed", "the death toll rose to 12", "12 dead" or "12 fatalities". For a question about
# deaths, a sentence that speaks of deaths in any of these words holds the question's words for
# them, and "people", whom they count.
DEATH_STEMS = frozenset({"die", "dead", "death", "kill", "toll", "fatal"})


def with_death_words(stems: frozenset[str], question: frozenset[str]) -> frozenset[str]:
    """`stems` (a sentence's), with the question's words for deaths, and its "people", when
    both speak of deaths."""
    asked = question & DEATH_STEMS
    if not asked or not stems & DEATH_STEMS:
        return stems
    return stems | asked | (question & {"peopl"})


# News style abbreviates a month beside a day ("Oct. 12"); questions spell it out ("October 12").
MONTH_ABBREVIATIONS = {
    "jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june",
    "jul": "july", "aug": "august", "sep": "september", "sept": "september", "oct": "october",
    "nov": "november", "dec": "december",
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
    lower = MONTH_ABBREVIATIONS.get(lower, lower)
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


# Lower-case words a name may hold between its capitalised words ("Tour de France").
NAME_JOINERS = {"de", "of", "la", "van", "von", "der", "al", "bin", "the"}
# Words that open a request, not a name: "Tell me about ...".
REQUESTS = {"tell", "show", "give", "list", "name", "explain", "describe", "summarise",
            "summarize", "find", "compare", "please", "why", "ok", "okay", "now"}  # fmt: skip


def names_in(text: str) -> list[str]:
    """Capitalised names in order of appearance ("Putin", "North Korea", "Tour de France"),
    leaving out a capitalised question word or request at the start ("What", "Tell")."""
    names: list[str] = []
    run: list[re.Match[str]] = []
    joiners: list[re.Match[str]] = []  # "de" in "Tour de France", kept if a name follows

    def close() -> None:
        if run:
            names.append(re.sub(r"['’]s$", "", text[run[0].start() : run[-1].end()]))
        run.clear()
        joiners.clear()

    previous_end: int | None = None
    for match in NAME_WORD.finditer(text):
        word = match.group(0)
        if previous_end is not None and text[previous_end : match.start()].strip(" -"):
            close()  # punctuation between them: "Putin, Kim"
        first = previous_end is None
        previous_end = match.end()
        lower = word.lower()
        ordinary = lower in QUESTION_WORDS or (first and lower in REQUESTS)
        if word[0].isupper() and (word.isupper() or not ordinary):
            run.extend(joiners)
            joiners.clear()
            run.append(match)
        elif run and lower in NAME_JOINERS:
            joiners.append(match)
        else:
            close()
    close()
    return names


# A lower-case word inside a name, other than a particle ("Bank of America", "Charles de Gaulle").
JOINED_NAMES = re.compile(
    r"(?<=\S)\s+(?!(?:of|the|for|in|on|upon|de|du|des|la|le|von|van|der|den|da|del|di|al|bin|y)\s)"
    r"[a-z]+\s"
)


def single_name(span: str) -> str | None:
    """A recognised name's span as one name, without a trailing "'s"; None where the
    recogniser ran two names together ("The Verge, Altman", "the Eagles and Chiefs", "Yahoo
    Entertainment that Swift") or the span is longer than a name (over four words)."""
    name = re.sub(r"['’]s$", "", " ".join(span.split()))
    if "," in name or len(name.split()) > 4 or JOINED_NAMES.search(name):
        return None
    return name
