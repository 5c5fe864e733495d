"""Checks an answer before anyone sees it: markers, spans, and support for generated sentences.

Every marker must point at a citation and every citation's text must be the article's own text
at its span. A generated sentence must be backed by the passage it cites (meaning and key
terms); one that isn't is removed and reported in `flags`, never shown as cited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from index.stored import StoredIndex
from qa.results import Answer
from qa.sentences import key_terms, stems_of

MARKER = re.compile(r"\[(\d{1,3})\]")
# A generated sentence is supported by a span when their embeddings are this close, or when the
# span holds this share of the sentence's key terms (IDF-free: names and numbers count double)
# and the embeddings are at least loosely related.
SUPPORT_SIMILARITY = 0.70
SUPPORT_TERMS = 0.6
SUPPORT_MIN_SIMILARITY = 0.45


def marker_numbers(text: str) -> list[int]:
    return [int(n) for n in MARKER.findall(text)]


def verify_answer(answer: Answer, index: StoredIndex) -> Answer:
    """Drops citations whose span doesn't match the source and markers that point nowhere."""
    good = []
    for citation in answer.citations:
        article = index.articles.get(citation.doc_id)
        if article is None or article.text[citation.start : citation.end] != citation.text:
            answer.flags.append(f"citation [{citation.n}] did not match its source and was removed")
            continue
        good.append(citation)
    answer.citations = good
    _verify_short_answer(answer)
    known = {c.n for c in good}
    unknown = sorted({n for n in marker_numbers(answer.answer) if n not in known})
    if unknown:
        answer.flags.append(
            "markers without a citation removed: " + ", ".join(f"[{n}]" for n in unknown)
        )
        answer.answer = MARKER.sub(
            lambda m: m.group(0) if int(m.group(1)) in known else "", answer.answer
        )
    used = set(marker_numbers(answer.answer))
    unused = [c.n for c in good if c.n not in used]
    if unused and not answer.abstained:
        answer.flags.append(
            "citations not referenced in the answer: " + ", ".join(map(str, unused))
        )
    return answer


def _verify_short_answer(answer: Answer) -> None:
    """The short answer must lie inside the (verified) citation it names, word for word."""
    short = answer.short_answer
    if short is None:
        return
    holder = next((c for c in answer.citations if c.n == short.citation), None)
    inside = (
        holder is not None
        and holder.doc_id == short.doc_id
        and holder.start <= short.start < short.end <= holder.end
        and holder.text[short.start - holder.start : short.end - holder.start] == short.text
    )
    if not inside:
        answer.flags.append(f"short answer '{short.text}' is not inside its citation; removed")
        answer.short_answer = None
        first, _, rest = answer.answer.partition("\n\n")
        if first.startswith(f"{short.shown} [{short.citation}]"):
            answer.answer = rest


@dataclass(frozen=True, slots=True)
class Support:
    similarity: float
    term_share: float

    @property
    def supported(self) -> bool:
        return self.similarity >= SUPPORT_SIMILARITY or (
            self.term_share >= SUPPORT_TERMS and self.similarity >= SUPPORT_MIN_SIMILARITY
        )


def support(
    sentence: str, span: str, sentence_vector: np.ndarray, span_vector: np.ndarray
) -> Support:
    terms = key_terms(sentence)
    weights = {t.stem: 2.0 if t.is_entity else 1.0 for t in terms}
    total = sum(weights.values())
    stems = stems_of(span)
    share = sum(w for s, w in weights.items() if s in stems) / total if total else 0.0
    return Support(float(sentence_vector @ span_vector), share)
