"""Versions of a phrase answer: where the reports give different values for the asked thing.

A fact-checker's first question about a figure is whether everyone reports the same. For a
question that asks for a name, place, date, number or amount (not a yes/no one), the best
candidate sentences (those the answer model rates near the best one) each give a value: the one
new thing of the asked kind a sentence names, or, for two like sentences of different reports,
the one thing each names that the other doesn't ("awarded to the novelist Abdulrazak Gurnah,
born in Zanzibar" / "… Olga Tokarczuk, born in Zanzibar"; names written side by side are one:
"in Tampa, Florida" / "in Glendale, Arizona"). Sentences that are not alike lend each other no
value: two years in unlike sentences are two claims, not two versions of one. Values are
normalised before they are compared (amounts with their scale and currency, dates by the parts
they name, names by their first or last words: "Biden" is "President Joe Biden"), so "about 30"
and "30" agree. Two values
are versions only where a sentence giving one and a sentence giving the other make the same
claim (same_claim): a report about something else is not a disagreement. Then:
- an update when every report of one value is from a later day than every report of the other
  (the newest leads; the others are what earlier reports said);
- else a disagreement.
Twins count however the model rates them: a sentence that is another report's words with the
value changed (twins), in the passages the answerer read or the retrieved ones past them.
Copies of one syndicated report are one voice: retrieval keeps one of them (index.syndication).
Nothing here reads meaning: whether a sentence states the asked thing is the answer model's
probability; the same-claim rule keeps out like-looking sentences about other things, at the
price of missing reports that word the same claim differently.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.metadata import MONTHS, describe_date, full_date
from qa.analysis import QuestionAnalysis
from qa.candidates import Candidate
from qa.results import Version, Versions
from qa.sentences import QUESTION_WORDS, stems_of, with_death_words

# A sentence is a voice when the answer model rates it at least this share of the best one's
# probability. On RGB's train quarter with true and altered passages, 0.75 showed both values
# for 17 of 25 questions, 0.6 for 18, 0.4 for 19 (and one more false disagreement); at 0.4,
# MultiHop-RAG questions got versions that were all wrong (an organisation named beside the
# person asked for). docs/evaluation.md says which half that was counted on.
VOICE_SHARE = 0.6
# Two sentences this alike to the embedder say the same thing: in an answer, the second adds
# a citation, not a sentence (qa.extractive); here, they make the same claim.
SAME_CLAIM = 0.86
# Two sentences sharing this share of their words, values left out, make the same claim: on
# RGB's train quarter, a true passage and its altered copy share all of them (10 of 12 pairs;
# the other two were different sentences), a sentence about another player, game or year at
# most 0.54 (18 pairs).
SAME_FRAME = 0.6
# Two sentences of different reports sharing this share of their words, values left out, are
# one sentence with the value changed (twins): above the 0.54 of the most alike sentences about
# other things on RGB's train quarter (SAME_FRAME, above), below the 1.0 of most altered copies.
TWIN_FRAME = 0.8
WORD = re.compile(r"\w+")
# A figure's few words after it say what it counts ("38 people died in the floods"). Where a
# question asks how many or how much, two figures followed by the same words of the question
# count the same thing: reports of a toll that rises (12, then 38, then 45 "people died") are
# versions of one claim though the sentences around them differ. Chosen on a story of three
# reports (tests/qa/test_watches.py) and checked on RGB's train quarter and MultiHop-RAG's
# train half (docs/evaluation.md, "Counted things").
COUNT_KINDS = frozenset({"number", "amount", "money", "percentage"})
COUNTED_WORDS = 4
# Two such sentences must still read somewhat alike: a figure of the same words in a report
# of another event ("38 people died in a bus crash") reads further from the first.
SAME_STORY = 0.7
# Words a figure may start with at the head of a sentence ("At least 30 people died").
QUANTIFIERS = frozenset(
    ("At", "About", "Around", "Almost", "Nearly", "More", "Less", "Fewer", "Over", "Under",
     "Some", "Up", "Roughly", "Approximately", "Just")
)  # fmt: skip
TITLES = frozenset(
    ("mr", "mrs", "ms", "miss", "dr", "sir", "dame", "lord", "lady", "president", "prime",
     "minister", "chancellor", "senator", "governor", "general", "gen", "king", "queen",
     "prince", "princess", "pope", "saint", "st", "the", "co", "corp", "corporation", "inc",
     "ltd", "plc", "llc", "company", "group")
)  # fmt: skip
SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9,
    "b": 1e9, "trillion": 1e12, "tn": 1e12,
}  # fmt: skip
NUMBER = re.compile(
    r"(?P<currency>[$€£¥])?\s*(?P<number>\d[\d,]*(?:\.\d+)?)\s*"
    r"(?P<scale>thousand|million|billion|trillion|mn|bn|tn|[kmb])?\b",
    re.IGNORECASE,
)
MONTH = re.compile(rf"\b({MONTHS})\b\.?", re.IGNORECASE)
YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
DAY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\b")
MONTH_NUMBERS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")],
        start=1,
    )
    for name in names
}  # fmt: skip


@dataclass(slots=True)
class Voice:
    """A candidate sentence and the value it gives."""

    candidate: Candidate
    value: str  # normalised
    written: str  # as the article writes it
    # The candidate's sentence that holds the value (the candidate itself when it is one
    # sentence): what is compared with other voices, so that a sentence beside it that two
    # candidates share doesn't make them the same claim.
    sentence: Candidate
    # The question's words among the few after the value: what it counts (COUNT_KINDS only).
    counts: frozenset[str] = frozenset()


def question_content(analysis: QuestionAnalysis) -> frozenset[str]:
    """The stems of the question's own words: not its question words, auxiliaries or verbs
    of saying."""
    return frozenset(analysis.stems - stems_of(" ".join(QUESTION_WORDS)))


def counted(text: str, span: tuple[int, int], content: frozenset[str]) -> frozenset[str]:
    """The question's words among the COUNTED_WORDS words after a value ("38 people died"),
    else among those before it in its clause ("the number of people who died … has risen to
    38"): what it counts; empty when fewer than half of them (and two, where it has two) are
    there."""
    start, end = span
    following = " ".join(WORD.findall(text[end : end + 80])[:COUNTED_WORDS])
    clause = re.split(r"[.;:!?]\s|,", text[max(0, start - 160) : start])[-1]
    before = " ".join(WORD.findall(clause)[-3 * COUNTED_WORDS :])
    # At least half the question's own words, and two where it has two: a long question shares
    # a couple of words with many figures ("bonus bets" beside "$100" and "$1,000").
    enough = max(min(2, len(content)), (len(content) + 1) // 2)
    for words in (following, before):
        found = content & with_death_words(stems_of(words), content)
        if len(found) >= enough:
            return frozenset(found)
    return frozenset()


def find_voices(
    voters: Sequence[Candidate],
    analysis: QuestionAnalysis,
    values_of: Callable[[Candidate, QuestionAnalysis], dict[str, tuple[int, int]]],
    similarity: Callable[[Candidate, Candidate], float],
) -> list[Voice]:
    """The value each voter gives, best first: the one thing of the asked kind it names, or,
    where another report's sentence is like it (alike), the one thing it names that the
    other doesn't."""
    if not analysis.labels or not voters:
        return []
    named = [(c, merged_values(c.passage.article.text, values_of(c, analysis))) for c in voters]
    content = question_content(analysis) if analysis.kind in COUNT_KINDS else frozenset()
    voices: dict[int, Voice] = {}
    for i, (candidate, values) in enumerate(named):
        text = candidate.passage.article.text
        counting = {v: counted(text, span, content) for v, span in values.items()}
        if len(values) > 1 and content:
            # Several figures: the one that counts what the question asks about, if one does
            # ("45 people died …, and 200 homes were destroyed").
            best = max(len(c) for c in counting.values())
            if best and sum(len(c) == best for c in counting.values()) == 1:
                values = {v: span for v, span in values.items() if len(counting[v]) == best}
        if len(values) == 1:
            [(value, span)] = values.items()
            voices[i] = Voice(
                candidate, value, written(candidate, span), holding(candidate, span),
                counting[value],
            )  # fmt: skip
    for i, (first, first_values) in enumerate(named):
        for j in range(i + 1, len(named)):
            second, second_values = named[j]
            if first.doc_id == second.doc_id or (i in voices and j in voices):
                continue
            differing = difference(first, first_values, second, second_values)
            if differing is None or not alike(first, second, *differing, similarity):
                continue
            for k, candidate, span in ((i, first, differing[0]), (j, second, differing[1])):
                value = written(candidate, span)
                voices.setdefault(k, Voice(candidate, key(value), value, holding(candidate, span)))
    return [voices[i] for i in sorted(voices)]


def counting_alike(
    voters: Sequence[Candidate],
    candidates: Sequence[Candidate],
    analysis: QuestionAnalysis,
    values_of: Callable[[Candidate, QuestionAnalysis], dict[str, tuple[int, int]]],
) -> list[Candidate]:
    """Sentences of other reports giving a figure of the very thing a voter's figure counts
    (counted): a later report's "the death toll rose to 45" beside "at least 12 people died".
    They count however the model rates them, as twins do: a report that updates a figure often
    words it less like the question than the first report did."""
    content = question_content(analysis)
    if analysis.kind not in COUNT_KINDS or not content:
        return []

    def counts(candidate: Candidate) -> list[frozenset[str]]:
        text = candidate.passage.article.text
        found = [counted(text, span, content) for span in values_of(candidate, analysis).values()]
        return [c for c in found if c]

    wanted = {c for voter in voters for c in counts(voter)}
    voting = {id(v) for v in voters}
    reports = {v.doc_id for v in voters}
    alike = []
    for candidate in candidates:
        if id(candidate) in voting or candidate.doc_id in reports:
            continue
        if any(c in wanted for c in counts(candidate)):
            alike.append(candidate)
            reports.add(candidate.doc_id)
    return alike


def twins(
    read: Sequence[Candidate],
    unread: Sequence[Candidate],
    analysis: QuestionAnalysis,
    values_of: Callable[[Candidate, QuestionAnalysis], dict[str, tuple[int, int]]],
) -> list[tuple[Candidate, Candidate]]:
    """Sentences of two reports that say the same words but for the asked thing, each naming
    one value of the asked kind the other doesn't, as (sentence, its twin), both ways:
    voices however the answer model rates them. A report that changed a figure is worded as
    the one it changed, so the model rates the two alike, and a twin in a passage past those
    the answerer reads (`unread`) is as likely as the one it twins."""
    if not analysis.labels:
        return []
    named = [
        (c, merged_values(c.passage.article.text, values_of(c, analysis))) for c in [*read, *unread]
    ]
    pairs = []
    for i, (first, first_values) in enumerate(named[: len(read)]):
        for second, second_values in named[i + 1 :]:
            if first.doc_id == second.doc_id:
                continue
            differing = difference(first, first_values, second, second_values)
            if differing is not None and held_frame_share(first, second, *differing) >= TWIN_FRAME:
                pairs += [(second, first), (first, second)]
    return pairs


def difference(
    first: Candidate,
    first_values: dict[str, tuple[int, int]],
    second: Candidate,
    second_values: dict[str, tuple[int, int]],
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The one value each of two sentences names that the other doesn't, as spans: values
    written side by side count as one ("in Tampa, Florida" / "in Glendale, Arizona")."""
    runs = []
    for candidate, values, others in (
        (first, first_values, second_values),
        (second, second_values, first_values),
    ):
        only = [values[v] for v in values if not any(same(v, w) for w in others)]
        run = one_run(candidate.passage.article.text, only)
        if run is None:
            return None
        runs.append(run)
    return runs[0], runs[1]


def one_run(text: str, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The spans as one, if only commas and spaces stand between them; else None."""
    if not spans:
        return None
    spans = sorted(spans)
    if any(text[end:start].strip(" ,") for (_, end), (start, _) in itertools.pairwise(spans)):
        return None
    return spans[0][0], spans[-1][1]


def alike(
    first: Candidate,
    second: Candidate,
    first_span: tuple[int, int],
    second_span: tuple[int, int],
    similarity: Callable[[Candidate, Candidate], float],
) -> bool:
    """Whether the sentences holding these spans say the same but for them: what lets the
    one thing each names that the other doesn't stand as its value."""
    if similarity(holding(first, first_span), holding(second, second_span)) >= SAME_CLAIM:
        return True
    return held_frame_share(first, second, first_span, second_span) >= SAME_FRAME


def held_frame_share(
    first: Candidate, second: Candidate, first_span: tuple[int, int], second_span: tuple[int, int]
) -> float:
    """frame_share of the sentences holding two values, the values left out."""
    return frame_share(
        holding(first, first_span).text(),
        key(written(first, first_span)),
        holding(second, second_span).text(),
        key(written(second, second_span)),
    )


def states(quote: Candidate, voice: Voice) -> bool:
    """Whether a quote holds the sentence that gives a voice's value: what lets its citation
    stand for that value."""
    held = voice.sentence
    return quote.doc_id == held.doc_id and quote.start <= held.start and held.end <= quote.end


def written(candidate: Candidate, span: tuple[int, int]) -> str:
    return candidate.passage.article.text[span[0] : span[1]]


def holding(candidate: Candidate, span: tuple[int, int]) -> Candidate:
    """The part of a candidate (one sentence, or two neighbours) whose sentences hold the span:
    the candidate itself when that is all of it."""
    start, end = span
    sentences = [s for s in candidate.sentences if s.start < end and start < s.end]
    if not sentences or len(sentences) == len(candidate.sentences):
        return candidate
    return dataclasses.replace(candidate, sentences=sentences)


def frame_share(first: str, first_value: str, second: str, second_value: str) -> float:
    """The share of two sentences' words they have in common, their values left out."""
    words = [
        set(WORD.findall(text.lower())) - set(WORD.findall(value))
        for text, value in ((first, first_value), (second, second_value))
    ]
    return len(words[0] & words[1]) / max(1, len(words[0] | words[1]))


def merged_values(text: str, spans: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Normalised value -> its span; spans with only a space between them are one value (a
    recogniser may tag "Bianca" and "Andreescu" apart)."""
    merged: list[list[int]] = []
    for start, end in sorted(spans.values()):
        if merged and not text[merged[-1][1] : start].strip():
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return {key(text[start:end]): (start, end) for start, end in merged}


def group_versions(
    voices: list[Voice], similarity: Callable[[Candidate, Candidate], float]
) -> list[list[Voice]]:
    """Voices grouped by value (normalised values that agree are one group), best first, kept
    where a sentence of another group makes the same claim about another value (same_claim);
    [] when fewer than two values are left."""
    groups: list[list[Voice]] = []
    voted: dict[str, int] = {}  # doc_id -> the group its best sentence is in
    for voice in voices:
        # Every member must agree: "October 19th" agrees with "October 19, 2021" and with
        # "October 19, 2011", which don't agree with each other.
        home = next(
            (k for k, group in enumerate(groups) if all(same(voice.value, v.value) for v in group)),
            None,
        )
        doc_id = voice.candidate.doc_id
        if doc_id in voted and voted[doc_id] != home:
            continue  # one report speaks once: with its best sentence's value
        if home is None:
            groups.append([voice])
            home = len(groups) - 1
        else:
            groups[home].append(voice)
        voted[doc_id] = home

    def rivals(first: list[Voice], second: list[Voice]) -> bool:
        return any(
            same_claim(a, b, similarity(a.sentence, b.sentence)) for a in first for b in second
        )

    for k, anchor in enumerate(groups):
        kept = [anchor, *(g for g in groups[k + 1 :] if rivals(anchor, g))]
        if len(kept) > 1:
            return kept
    return []


def same_claim(first: Voice, second: Voice, cosine: float) -> bool:
    """Whether two sentences make the same claim about their values: they read alike to the
    embedder (SAME_CLAIM), or, their values left out, share most of their words
    ("… awarded to the novelist Abdulrazak Gurnah" / "… Olga Tokarczuk"; "at least 30 people
    were killed, police said" / "at least 45 people were killed, officials said")."""
    if cosine >= SAME_CLAIM:
        return True
    if first.counts and first.counts == second.counts and cosine >= SAME_STORY:
        return True  # two figures of the same counted thing
    shared = frame_share(first.sentence.text(), first.value, second.sentence.text(), second.value)
    return shared >= SAME_FRAME


def key(value: str) -> str:
    return " ".join(value.lower().split())


def same(first: str, second: str) -> bool:
    """Whether two normalised values name the same thing: equal amounts (with their scale and
    currency), dates that agree in every part both name, or names one of which is the other's
    first or last words ("biden", "joe biden", "president joe biden")."""
    if first == second:
        return True
    first_amount, second_amount = amount(first), amount(second)
    if first_amount and second_amount and not is_date(f"{first} {second}"):
        (a, a_currency), (b, b_currency) = first_amount, second_amount
        close = abs(a - b) <= 0.005 * max(abs(a), abs(b))
        return close and (not a_currency or not b_currency or a_currency == b_currency)
    if is_date(first) and is_date(second):
        return all(
            x is None or y is None or x == y
            for x, y in zip(date_parts(first), date_parts(second), strict=True)
        )
    a_words, b_words = name_words(first), name_words(second)
    if not a_words or not b_words:
        return False
    shorter, longer = sorted((a_words, b_words), key=len)
    # "Matsuyama Wins": a recogniser's span may run a word long.
    return longer[-len(shorter) :] == shorter or longer[: len(shorter)] == shorter


def amount(value: str) -> tuple[float, str] | None:
    match = NUMBER.search(value)
    if match is None:
        return None
    number = float(match.group("number").replace(",", ""))
    scale = (match.group("scale") or "").lower()
    currency = match.group("currency") or ""
    if re.search(r"\b(?:dollars?|usd)\b", value):
        currency = currency or "$"
    return number * SCALES.get(scale, 1.0), currency


def is_date(value: str) -> bool:
    """Names a month or a year ("May 31, 2020", "early 2020", "2020")."""
    return bool(MONTH.search(value) or YEAR.search(value))


def date_parts(value: str) -> tuple[int | None, int | None, int | None]:
    """(year, month, day), None where the value doesn't say."""
    year_match = YEAR.search(value)
    month_match = MONTH.search(value)
    month = MONTH_NUMBERS.get(month_match.group(1).lower().rstrip(".")) if month_match else None
    rest = YEAR.sub(" ", value)
    day_match = DAY.search(rest) if month else None
    return (
        int(year_match.group(1)) if year_match else None,
        month,
        int(day_match.group(1)) if day_match else None,
    )


def name_words(value: str) -> tuple[str, ...]:
    words = [w for w in re.findall(r"[\w'-]+", value.lower()) if w not in TITLES]
    return tuple(w.removesuffix("'s") for w in words)


def settle(groups: list[list[Voice]]) -> tuple[str, list[list[Voice]]]:
    """An update (newest value first) when every report of each value is from a later day than
    every report of the values before it; else a disagreement, in the order given."""
    days = [[full_day(v.candidate.published) for v in group] for group in groups]
    known = [[day for day in group if day is not None] for group in days]
    if all(len(k) == len(d) for k, d in zip(known, days, strict=True)):
        spans = sorted(((min(d), max(d), k) for k, d in enumerate(known)), reverse=True)
        if all(older[1] < newer[0] for newer, older in itertools.pairwise(spans)):
            return "update", [groups[k] for _, _, k in spans]
    return "disagreement", groups


def versions_of(
    kind: str, groups: list[list[Voice]], citation_of: Callable[[Voice], int | None]
) -> Versions | None:
    """The versions as the answer shows them, each with the citations of its cited voices."""
    if not groups:
        return None
    values = []
    for group in groups:
        version = Version(value=shown_value(group))
        for voice in group:
            n = citation_of(voice)
            if n is None or n in version.citations or not states_all(voice, version.value):
                continue
            article = voice.candidate.passage.article
            version.citations.append(n)
            version.outlets.append(article.source or "outlet unknown")
            version.dates.append(article.published)
        if not version.citations:
            return None  # a value no quote shows is not shown either
        values.append(version)
    return Versions(kind, values)


def shown_value(group: list[Voice]) -> str:
    """The value a version shows: the fullest form of a date ("October 19, 2021" over
    "October 19th"); else the best sentence's."""
    return max(
        (v.written for v in group),
        key=lambda w: sum(part is not None for part in date_parts(w)) if is_date(w) else 0,
    )


def states_all(voice: Voice, shown: str) -> bool:
    """Whether a voice states all of a version's shown value: a date's every part ("September
    2019" agrees with "September 20, 2019" but is no source for it)."""
    if not is_date(shown):
        return True
    return all(
        part is None or own is not None
        for part, own in zip(date_parts(shown), date_parts(voice.written), strict=True)
    )


def spokesman(group: list[Voice]) -> Voice:
    """The voice a version is quoted by: the best one that states all of its shown value."""
    shown = shown_value(group)
    return next(v for v in group if states_all(v, shown))


def versions_line(versions: Versions) -> str:
    """ "Reports disagree: 45 (AP, 5 May 2024) [1]; 52 (Reuters, 5 May 2024) [2]." or
    "Updated: 45 (AP, 5 May 2024) [1]; earlier reports said 30 (Reuters, 4 May 2024) [2]." """

    def said(version: Version) -> str:
        outlets = list(dict.fromkeys(version.outlets))
        where = ", ".join(outlets[:3]) + (
            f" and {len(outlets) - 3} more" if len(outlets) > 3 else ""
        )
        dated = sorted(day for d in version.dates if (day := full_day(d)) is not None)
        if dated:
            where += f", {describe_date(dated[-1])}"
        markers = "".join(f"[{n}]" for n in version.citations)
        return f"{version.value} ({where}) {markers}"

    first, *rest = versions.values
    if versions.kind == "update":
        earlier = "; ".join(in_sentence(said(v)) for v in rest)
        return f"Updated: {said(first)}; earlier reports said {earlier}."
    return "Reports disagree: " + "; ".join(said(v) for v in versions.values) + "."


def in_sentence(text: str) -> str:
    """ "At least 30 (…)" inside a sentence: "at least 30 (…)"."""
    first = text.split(" ", 1)[0]
    return text[0].lower() + text[1:] if first in QUANTIFIERS else text


def full_day(published: str | None) -> str | None:
    day = full_date(published)
    return day.isoformat() if day else None
