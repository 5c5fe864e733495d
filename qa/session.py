"""A chat conversation: a follow-up that leans on earlier turns becomes a standalone query.

Only a question that needs it is rewritten: one that refers back with a pronoun ("What did he
say about energy?"), goes on from the last turn ("And what did Kim give in return?", "What
about 2022?"), or has no subject of its own ("Why?"). The pronoun is replaced by what it refers
to in the previous turn (a person's name for "he", the previous topic for "it" or "they"),
instead of piling every earlier term onto the query. A question that stands on its own is
searched as written, so a change of topic is never skewed by the turn before. No LLM is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.sentences import NAME_WORD, QUESTION_WORDS, key_terms, names_in
from qa.timeframe import MONTH, YEARS

PERSON_PRONOUNS = {"he", "him", "his", "she", "her", "hers", "himself", "herself"}
GROUP_PRONOUNS = {"they", "them", "their", "theirs", "themselves"}
POSSESSIVES = {"his", "hers", "its", "their", "theirs"}
# A question asking for a thing it describes: a possessive in it stands for that thing ("Which
# company is known for its Kindle?", "What are the firms that changed their odds?").
ASKS_SUBJECT = re.compile(
    r"\s*(?:who|which|whose|what\s+(?:is|was)\s+the\s+name"
    r"|what\s+(?:is|are|was|were)\s+the\s+\w+(?:\s+\w+)?\s+(?:that|who|which))\b",
    re.IGNORECASE,
)
MONTH_DAY = re.compile(rf"\b{MONTH}\s+\d{{1,2}}\b(?:,?\s+\d{{4}})?", re.IGNORECASE)
# A question with this many key terms and two names of its own needs nothing from the last turn.
LONG_QUESTION_TERMS = 10
# "that" / "this" stand for the last topic only at the end or before a verb ("Why did that
# happen?", "What does this mean?"), not before a noun ("this week", "reported that news").
DEMONSTRATIVE = re.compile(
    r"\b(that|this)\b(?=\s*(?:[?.!]*$|\b(?:happen|happened|mean|means)\b))", re.IGNORECASE
)
# Words that point back at the last turn's event: "Where does he go afterwards?" (after what?).
BACK_REFERENCE = re.compile(
    r"\b(?:afterwards?|after that|before that|in return|in response|instead|as well|then|next)"
    r"\s*[?.!]*$",
    re.IGNORECASE,
)
# "Who did the FTC sue?", "Which company did SoftBank invest in?": the question word is the
# verb's object (its answer was sued, invested in), and the name after the auxiliary its subject.
ASKS_OBJECT = re.compile(
    r"\s*(?:who|whom|what|which(?:\s+\w+){0,2})\s+(?:did|does|do|will|would|can|could|should)\s",
    re.IGNORECASE,
)
# A pronoun right after an auxiliary, or opening the question, is the subject ("How much did he
# pay", "Where was she CEO"); elsewhere it is an object ("pay for it", "sue them").
SUBJECT_SLOT = re.compile(
    r"(?:^|\b(?:did|does|do|was|is|were|are|has|have|had|will|would|can|could|should)\s+)$",
    re.IGNORECASE,
)
# What costs or is worth something is the thing, not who paid ("How much did it cost?").
THING_VERBS = re.compile(r"\b(?:cost|costs|worth)\b", re.IGNORECASE)
CONTINUATION = re.compile(r"^(?:and|but|also|so|then)\b[\s,]*", re.IGNORECASE)
ELLIPSIS = re.compile(r"^(?:and\s+)?(?:what|how)\s+about\b[\s,]*|^and\s+", re.IGNORECASE)


def topic_of(query: str) -> str:
    """The previous question's subject, as written: from its first key word to its last ("the
    talks at the Vostochny Cosmodrome" of "What happened during the talks at the Vostochny
    Cosmodrome?")."""
    words = [
        m
        for m in NAME_WORD.finditer(query)
        if len(m.group(0)) > 1
        and (m.group(0).lower() not in QUESTION_WORDS or m.group(0).isupper())
    ]
    if not words:
        return ""
    start, end = words[0].start(), words[-1].end()
    article = re.search(r"\b(the|a|an)\s+$", query[:start], re.IGNORECASE)
    if article:
        start = article.start()
    return query[start:end].strip()


@dataclass(frozen=True, slots=True)
class Turn:
    """An earlier turn as the next one may refer to it."""

    query: str  # the standalone query it was searched with
    answered: str | None = None  # who or what it answered ("Tadej Pogačar" for "Who won?")
    kind: str | None = None  # what it asked for (qa.analysis kind): "person", "organisation"
    # Where its answer's quotes start (article, offset): a follow-up reads their passages too,
    # since what it asks next is often in the same report ("How much did he pay for it?").
    evidence: tuple[tuple[str, int], ...] = ()

    @property
    def roles(self) -> tuple[str, str] | None:
        """(subject, object) of the last question with its answer in place: "Who bought Psagot
        Investment House?" answered Rani Zim is (Rani Zim, Psagot Investment House); "Who did
        the FTC sue?" answered Amazon is (FTC, Amazon). None without an answer or a second name
        or topic to stand beside it."""
        if not self.answered:
            return None
        others = [n for n in names_in(self.query) if n.lower() != self.answered.lower()]
        other = others[0] if others else topic_of(self.query)
        if not other or other.lower() == self.answered.lower():
            return None
        if ASKS_OBJECT.match(self.query):
            return other, self.answered
        return self.answered, other

    @property
    def person(self) -> str | None:
        return self.answered if self.kind in {"person", "name"} else None

    @property
    def group(self) -> str | None:
        return self.answered if self.kind in {"organisation", "team", "name"} else None


def references(question: str) -> list[re.Match[str]]:
    """The pronouns of the question that point back at an earlier turn: "he", "they" or "its"
    with no name before them in the question to stand for, and "it" in a question naming
    fewer than two things ("What did the US say about it?"; in "Is it true that Putin met
    Kim?" it points forward)."""
    own_names = names_in(question)
    first_name_at = question.find(own_names[0]) if own_names else len(question)
    asks_subject = ASKS_SUBJECT.match(question)
    found = []
    for match in NAME_WORD.finditer(question):
        word = match.group(0).lower()
        possessive = word in POSSESSIVES or (word == "her" and _before_noun(question, match.end()))
        unexplained = match.start() < first_name_at and not (asks_subject and possessive)
        pointing = word in PERSON_PRONOUNS or word in GROUP_PRONOUNS or word == "its"
        bare_it = word in {"it", "itself"} and len(own_names) < 2
        if (pointing and unexplained) or bare_it:
            found.append(match)
    return found


def standalone_query(question: str, turns: list[Turn]) -> str:
    """The question as it would be asked alone: unchanged unless it leans on the last turn."""
    question = question.strip()
    if not turns:
        return question
    last = turns[-1]
    if len(names_in(question)) >= 2 and len(key_terms(question)) >= LONG_QUESTION_TERMS:
        return question  # a question this full stands on its own
    pointers = references(question)
    resolved = _resolve(question, pointers, last) if pointers else question
    if DEMONSTRATIVE.search(question) or BACK_REFERENCE.search(question):
        # "Why did that happen?", "Where does he go afterwards?": the last question's event
        # can't stand in for "that" word for word, so it goes beside the question.
        return f"{resolved} ({last.query.rstrip(' ?')})"
    if pointers:
        return resolved
    ellipsis = ELLIPSIS.match(question)
    rest = question[ellipsis.end() :] if ellipsis else question
    asks_anew = re.match(r"(?i)(who|what|when|where|which|how|why)\b", rest)
    if ellipsis and len(rest.split()) <= 4 and not asks_anew:
        return _substitute(rest.strip(" ?.!"), last.query)
    if CONTINUATION.match(question) or not key_terms(question):
        # "And what did Kim give in return?", "Why?": its own words, plus the names of the
        # last turn it goes on from (or that turn's topic, when it names none).
        own = names_in(question)
        if own and not any(name.lower() in last.query.lower() for name in own):
            # "And what did South Korea say?" after "What did the US say about the visit?":
            # a new subject in the last question's place; what goes on is its other words.
            context = " ".join(
                t.surface
                for t in key_terms(last.query)
                if not t.is_entity and t.surface.lower() not in question.lower()
            )
        else:
            missing = [n for n in names_in(last.query) if n.lower() not in question.lower()]
            context = ", ".join(missing) if missing else topic_of(last.query)
        if context and context.lower() not in question.lower():
            return f"{question.rstrip()} ({context})"
    return question


def _resolve(question: str, pointers: list[re.Match[str]], last: Turn) -> str:
    if last.roles is not None:
        return _resolve_by_role(question, pointers, last.roles)
    names = names_in(last.query)
    person = last.person or (names[0] if names else None)
    topic = topic_of(last.query)
    group = last.group or (" and ".join(names) if len(names) > 1 else topic)
    pieces, position = [], 0
    for match in pointers:
        word = match.group(0).lower()
        if word in PERSON_PRONOUNS:
            referent = person or topic
        elif word in GROUP_PRONOUNS:
            referent = group
        else:
            referent = last.group or topic
        if not referent:
            continue
        if word in POSSESSIVES or (word == "her" and _before_noun(question, match.end())):
            referent = f"{referent}'s"
        pieces.append(question[position : match.start()] + referent)
        position = match.end()
    return "".join(pieces) + question[position:]


def _resolve_by_role(question: str, pointers: list[re.Match[str]], roles: tuple[str, str]) -> str:
    """Each pronoun to the last question's subject or object, by where it stands ("How much did
    he pay for it?": he the buyer, it the thing bought); each of the two stands in once, so a
    second pronoun takes the other."""
    subject, object_ = roles
    used: set[str] = set()
    pieces, position = [], 0
    for match in pointers:
        word = match.group(0).lower()
        possessive = word in POSSESSIVES or (word == "her" and _before_noun(question, match.end()))
        in_subject_slot = bool(SUBJECT_SLOT.search(question[: match.start()]))
        if word == "it" and THING_VERBS.search(question[match.end() :]):
            in_subject_slot = False
        referent = subject if in_subject_slot and not possessive else object_
        if possessive:
            referent = subject if subject not in used else object_
        if referent in used:
            referent = object_ if referent == subject else subject
        used.add(referent)
        pieces.append(question[position : match.start()] + referent + ("'s" if possessive else ""))
        position = match.end()
    return "".join(pieces) + question[position:]


def _before_noun(question: str, end: int) -> bool:
    """Whether "her" at `end` is a possessive ("her visit"), not an object ("met her")."""
    following = re.match(r"\s+([A-Za-z]+)", question[end:])
    return following is not None and following.group(1).lower() not in QUESTION_WORDS


def _substitute(replacement: str, previous: str) -> str:
    """ "What about 2022?" after "Who won the 2021 Tour de France?": the last question with the
    day, the year or the first name swapped for the new one; otherwise the two together."""
    new_day, old_day = MONTH_DAY.search(replacement), MONTH_DAY.search(previous)
    if new_day and old_day:
        return previous[: old_day.start()] + new_day.group(0) + previous[old_day.end() :]
    years = YEARS.findall(previous)
    if YEARS.fullmatch(replacement) and years:
        return previous.replace(years[0], replacement, 1)
    names = names_in(previous)
    if names_in(replacement) and names:
        return previous.replace(names[0], replacement, 1)
    return f"{previous.rstrip(' ?')} {replacement}?"


@dataclass
class ChatHistory:
    """Earlier turns, newest last."""

    turns: list[Turn] = field(default_factory=list)

    def rewrite(self, question: str) -> str:
        return standalone_query(question, self.turns)

    def remember(
        self,
        query: str,
        answered: str | None = None,
        kind: str | None = None,
        evidence: tuple[tuple[str, int], ...] = (),
    ) -> None:
        self.turns.append(Turn(query, answered, kind, evidence))

    def evidence_for(self, question: str) -> tuple[tuple[str, int], ...]:
        """Where the last answer's quotes start, for a follow-up that points back at what it was
        about ("How much did he pay for it?", "Why did that happen?"); none for one that swaps
        something of its own in ("And on October 22?": another day's report)."""
        if not self.turns:
            return ()
        points_back = (
            references(question)
            or DEMONSTRATIVE.search(question)
            or BACK_REFERENCE.search(question)
        )
        return self.turns[-1].evidence if points_back else ()
