"""Finds the passages that best match a question: dense (FAISS) and BM25 rankings, fused.
BM25 weighs the question's words by how rare they are among the chunks nearest its vector
(index.search, `rarity_neighbours`), so a large archive's other subjects don't set the weights.

Weighted reciprocal rank fusion, then optional MMR to spread the picks over different articles,
with optional outlet and date filters applied before ranking. A question that names outlets
("as reported by The Verge and TechCrunch") or full dates ("on October 7, 2023"), or is about a
stretch of time ("this week", "in 2021": qa.timeframe), is also searched within each of them,
and those rankings are interleaved with the whole index's, so every named report, and the
reports of the asked time, get their best passages in without hiding the rest.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from index.embed import Embedder
from index.metadata import describe_date, full_date
from index.search import Filters, top_positive_rows
from index.settings import RetrievalSettings
from index.stored import (
    StoredIndex,
    bm25_tokenize,
    chunk_doc_id,
    field_values,
    indexed_outlets,
)
from qa.results import Passage
from qa.sentences import MONTH_ABBREVIATIONS
from qa.timeframe import MONTH, TimeScope

FULL_DATE = re.compile(
    rf"\b(?:{MONTH}\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}|\d{{1,2}} {MONTH}\.?,? \d{{4}}|"
    r"\d{4}-\d{2}-\d{2})\b"
)
# A full date's day and year ("12th", "2023"), what of it is searched on its own as a day.
DATE_NUMBER = re.compile(r"\d+(?:st|nd|rd|th)?")


# A named scope holding more than this share of the searchable passages is not searched on its
# own: it would only reorder the whole index. On MultiHop-RAG, whose 609 articles are all from
# 2023, searching "2023" on its own cost 0.004 MRR@10 and found nothing new.
BROAD_SCOPE = 0.5


def fuse_rankings(rankings: Sequence[tuple[Sequence[int], float]], k: int) -> dict[int, float]:
    """Weighted reciprocal rank fusion: each ranking adds weight / (k + rank) to its items."""
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, row in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return fused


class Retriever:
    def __init__(self, index: StoredIndex, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._outlet_names: list[str] | None = None
        self._scope_masks: dict[Filters, np.ndarray] = {}
        self._facts: tuple[np.ndarray, np.ndarray] | None = None
        self._outlet_keys: list[str] = []

    def allowed_rows(self, filters: Filters) -> np.ndarray | None:
        """Boolean mask of chunks passing the filters, or None when there are no filters."""
        if not filters.active:
            return None
        return self.index.chunks_of_articles(self._passing(filters))

    def _passing(self, filters: Filters) -> np.ndarray:
        """Which articles (by their place in the index) pass active filters: one comparison of
        arrays made once per index, not a loop over 100,000 articles per question."""
        days = self._article_facts()[1]
        passing = self._from_outlets(filters)
        if filters.since or filters.until:
            # An article whose full date is unknown can't be shown to fall in the range.
            passing &= days >= 0
            if filters.since:
                passing &= days >= filters.since.toordinal()
            if filters.until:
                passing &= days <= filters.until.toordinal()
        return passing

    def _from_outlets(self, filters: Filters) -> np.ndarray:
        """Which articles are from one of the filters' outlets (all, when none is named)."""
        outlets = self._article_facts()[0]
        if not filters.outlets:
            return np.ones(len(outlets), dtype=bool)
        wanted = {outlet.casefold() for outlet in filters.outlets}
        return np.isin(outlets, [n for n, o in enumerate(self._outlet_keys) if o in wanted])

    def _article_facts(self) -> tuple[np.ndarray, np.ndarray]:
        """Each article's outlet (a number into _outlet_keys, casefolded names) and day (its
        ordinal, -1 when its full date is unknown)."""
        if self._facts is None:
            keys: dict[str, int] = {}
            ordinals: dict[str | None, int] = {}  # a few thousand days for 100,000 articles
            outlets, days = [], []
            articles = self.index.articles
            for source, published in zip(
                field_values(articles, "source"), field_values(articles, "published"), strict=True
            ):
                outlets.append(keys.setdefault((source or "").casefold(), len(keys)))
                if published not in ordinals:
                    day = full_date(published)
                    ordinals[published] = day.toordinal() if day else -1
                days.append(ordinals[published])
            self._outlet_keys = list(keys)
            self._facts = (np.array(outlets, dtype=np.int32), np.array(days, dtype=np.int64))
        return self._facts

    def passes(self, doc_id: str, filters: Filters) -> bool:
        """Whether an article passes the filters (any article does, with none) and has chunks:
        one article's outlet and day looked up, not the whole index's."""
        number = self.index.article_number(doc_id)
        if number is None or not self.index.chunks_of(doc_id):
            return False
        return not filters.active or bool(self._passing(filters)[number])

    def what_filters_hid(self, filters: Filters) -> str | None:
        """When the filters leave nothing to search, why, in counts: "no The Verge article on
        or after 1 January 2025 is indexed (all 45 are from before 1 January 2025)"; None when
        they leave something."""
        allowed = self.allowed_rows(filters)
        if allowed is None or allowed.any():
            return None
        days = self._article_facts()[1][self._from_outlets(filters)]  # ordinals; -1: unknown
        outlets = " or ".join(filters.outlets)
        if not len(days):
            known = sorted(indexed_outlets(self.index.articles))
            listed = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
            return f"No article from {outlets} is indexed (outlets here: {listed or 'none known'})."
        dated = days >= 0
        before = int((dated & (days < filters.since.toordinal())).sum()) if filters.since else 0
        after = int((dated & (days > filters.until.toordinal())).sum()) if filters.until else 0
        undated = int((~dated).sum())
        window = filter_window(filters)
        counts = [
            (before, f"from before {day_text(filters.since)}"),
            (after, f"from after {day_text(filters.until)}"),
            (undated, "without a full date"),
        ]
        held = [(n, what) for n, what in counts if n]
        if len(held) == 1 and held[0][0] == len(days):
            tally = (
                f"all {len(days)} are" if len(days) > 1 else "its only one is"
            ) + f" {held[0][1]}"
        else:
            tally = f"of {len(days)}, " + " and ".join(f"{n} {what}" for n, what in held)
        return (
            f"The filters leave nothing to search: no {outlets + ' ' if outlets else ''}article "
            f"{window} is indexed ({tally})."
        )

    def run(
        self,
        query: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        mmr: bool | None = None,
        query_vector: np.ndarray | None = None,
        scope: TimeScope | None = None,
    ) -> list[Passage]:
        top_k = top_k or self.settings.top_k
        filters = filters or Filters()
        total = len(self.index.chunks)
        if total == 0:
            return []
        mask = self.allowed_rows(filters)
        if mask is not None and not mask.any():
            return []
        depth = min(max(self.settings.candidates, top_k), total)
        vector = query_vector if query_vector is not None else self.embedder.embed([query])[0]
        tokens = self._bm25_tokens(query)
        bm25_scores = self.index.search.bm25_scores(tokens, depth, filters, mask, vector)
        fused = self._fused(vector, bm25_scores, depth, filters, mask)
        ordered = sorted(fused, key=lambda row: -fused[row])
        use_mmr = self.settings.mmr if mmr is None else mmr
        if use_mmr:
            ordered = self._mmr(ordered, fused, top_k)
        scopes = self.named_scopes(query, filters, scope)
        if scopes:
            ordered = self._interleave(scopes, ordered, vector, tokens, depth, filters, mask, fused)
        copies = self.index.copies if self.settings.group_copies else {}
        if copies:
            ordered = self._best_copy_only(ordered, copies)
        passages = []
        shown = ordered[:top_k]
        for row, chunk_vector in zip(shown, self.index.search.vectors(shown), strict=True):
            chunk = self.index.chunks[row]
            group = copies.get(chunk.doc_id, ())
            passages.append(
                Passage(
                    chunk=chunk,
                    article=self.index.articles[chunk.doc_id],
                    score=fused.get(row, 0.0),
                    dense_score=float(chunk_vector @ vector),
                    bm25_score=float(bm25_scores[row]),
                    copies=tuple(self.index.articles[d] for d in group if d != chunk.doc_id),
                )
            )
        return passages

    def passages_of(
        self,
        rows: Sequence[int],
        query_vector: np.ndarray,
        filters: Filters | None,
        found: Sequence[Passage],
    ) -> list[Passage]:
        """The chunks at `rows` as passages for the question, after those `found`: the ones the
        filters let through and not found already, ranked below every passage found."""
        taken = {(p.chunk.doc_id, p.chunk.start) for p in found}
        allowed = self.allowed_rows(filters) if filters else None
        kept = [
            row for row in rows
            if row < len(self.index.chunks)
            and (allowed is None or allowed[row])
            and (self.index.chunks[row].doc_id, self.index.chunks[row].start) not in taken
        ]  # fmt: skip
        if not kept:
            return []
        lowest = min((p.score for p in found), default=0.0)
        return [
            Passage(
                chunk=self.index.chunks[row],
                article=self.index.articles[self.index.chunks[row].doc_id],
                score=lowest / 2,
                dense_score=float(vector @ query_vector),
                bm25_score=0.0,
            )
            for row, vector in zip(kept, self.index.search.vectors(kept), strict=True)
        ]

    def _best_copy_only(self, ordered: list[int], copies: dict[str, tuple[str, ...]]) -> list[int]:
        """A syndicated story counts once: the passages of its best-ranked copy stay, those of
        the other copies go (each copy can still be opened from the citation)."""
        chosen: dict[str, str] = {}  # group (its first member) -> the copy ranked first
        kept = []
        for row in ordered:
            doc_id = chunk_doc_id(self.index.chunks, row)
            group = copies.get(doc_id)
            if group is None or chosen.setdefault(group[0], doc_id) == doc_id:
                kept.append(row)
        return kept

    def named_scopes(
        self, query: str, filters: Filters, scope: TimeScope | None = None
    ) -> list[Filters]:
        """A filter for each indexed outlet and each full date the question names, and for the
        question's time window, unless the user already filtered on that."""
        scopes = []
        if not filters.outlets:
            scopes += [Filters(outlets=(outlet,)) for outlet in self.named_outlets(query)]
        if not (filters.since or filters.until):
            days = self.named_days(query)
            scopes += [Filters(since=day, until=day) for day in days]
            window = scope.window if scope is not None and self.settings.window_search else None
            if window is not None and not any(day in window for day in days):
                scopes.append(Filters(since=window.start, until=window.end))
        return scopes

    def named_outlets(self, query: str) -> list[str]:
        """Indexed outlets the question names, as written in the index ("The Verge", "TASS")."""
        if not self.settings.outlet_search:
            return []
        named = []
        for outlet in self._outlets():
            # Case matters: "Fortune" the magazine, not "fortune" the word.
            if re.search(rf"(?<!\w){re.escape(outlet)}(?!\w)", query):
                named.append(outlet)
        return named

    def named_days(self, query: str) -> list[dt.date]:
        """Full dates the question names ("October 7, 2023", "7 October 2023", "2023-10-07").
        A date without a year names no day: it is never completed with a guess."""
        if not self.settings.date_search:
            return []
        days: list[dt.date] = []
        for match in FULL_DATE.finditer(query):
            text = re.sub(r"(?<=\d)(?:st|nd|rd|th)|[.,]", " ", match.group(0))
            text = " ".join(re.sub(r"\bSept\b", "Sep", text).split())
            for layout in ("%B %d %Y", "%d %B %Y", "%b %d %Y", "%d %b %Y", "%Y-%m-%d"):
                try:
                    day = dt.datetime.strptime(text, layout).date()
                except ValueError:
                    continue
                if day not in days:
                    days.append(day)
                break
        return days

    def _outlets(self) -> list[str]:
        if self._outlet_names is None:
            names = indexed_outlets(self.index.articles)
            # Longest first, so "The New York Times" is taken before a shorter name inside it;
            # then by name, so the order (which scope is searched first) is the same in every
            # process, not the order of a set of strings, which changes with the hash seed.
            self._outlet_names = sorted(names, key=lambda name: (-len(name), name))
        return self._outlet_names

    def _fused(
        self,
        vector: np.ndarray,
        bm25_scores: np.ndarray,
        depth: int,
        filters: Filters,
        mask: np.ndarray | None,
    ) -> dict[int, float]:
        dense_rows = self.index.search.dense_rows(vector, depth, filters, mask)
        bm25_rows = top_positive_rows(bm25_scores, depth)
        return fuse_rankings(
            [(dense_rows, self.settings.dense_weight), (bm25_rows, self.settings.bm25_weight)],
            self.settings.rrf_k,
        )

    def _interleave(
        self,
        scopes: list[Filters],
        ordered: list[int],
        vector: np.ndarray,
        tokens: list[str],
        depth: int,
        filters: Filters,
        mask: np.ndarray | None,
        fused: dict[int, float],
    ) -> list[int]:
        """Takes the best passage within each scope (a named outlet or day), then the next best of
        the whole index, in turn. A question joining two reports needs both, and one report often
        outranks the other on every term."""
        rankings = []
        for scope in scopes:
            own = self._scope_masks.get(scope)
            if own is None:
                own = self.allowed_rows(scope)
                assert own is not None
                if len(self._scope_masks) >= 256:  # windows move with each as-of date
                    self._scope_masks.clear()
                self._scope_masks[scope] = own
            if mask is not None:
                own = own & mask
            searchable = int(mask.sum()) if mask is not None else len(own)
            if not own.any() or own.sum() > searchable * BROAD_SCOPE:
                continue  # empty, or most of the index ("in 2023" over 2023's news): no preference
            within = scope.narrowed(filters)
            scores = self.index.search.bm25_scores(tokens, depth, within, own, vector)
            scope_fused = self._fused(vector, scores, depth, within, own)
            rankings.append(sorted(scope_fused, key=lambda row: -scope_fused[row]))
            for row, score in scope_fused.items():
                fused.setdefault(row, score)
        rankings.append(ordered)
        merged: list[int] = []
        seen: set[int] = set()
        for position in range(max(len(r) for r in rankings)):
            for ranking in rankings:
                if position < len(ranking) and ranking[position] not in seen:
                    seen.add(ranking[position])
                    merged.append(ranking[position])
        return merged

    def _bm25_tokens(self, query: str) -> list[str]:
        """The question's word stems that some chunk holds, months in both written forms, less
        the words of what is searched on its own (named_scopes): each full date's day and year,
        and each indexed outlet it names. As words, their weight is how rare they are in the
        index, which in a large archive outweighs the question's own words: "2023" is rare among
        100,000 articles of every year. A date's month stays, a word of the subject too ("the
        October storms"). An outlet's words are taken out one occurrence each, so "The
        Washington Post" on Washington's wildfires keeps one "washington". Both chosen on
        MultiHop-RAG's train half, 609 and 100,000 articles: docs/speed.md."""
        if self.settings.date_search:
            query = FULL_DATE.sub(lambda date: DATE_NUMBER.sub(" ", date.group(0)), query)
        tokens = month_aliases(bm25_tokenize([query])[0])
        for outlet_tokens in bm25_tokenize(self.named_outlets(query)):
            for token in outlet_tokens:
                if token in tokens:
                    tokens.remove(token)
        known = self.index.search.document_frequencies()
        return [token for token in tokens if token in known]

    def _mmr(self, ordered: list[int], fused: dict[int, float], top_k: int) -> list[int]:
        """Maximal marginal relevance: trade relevance against similarity to what's picked."""
        candidates = ordered[: max(top_k * 4, top_k)]
        best = fused[candidates[0]]
        relevance = {row: fused[row] / best for row in candidates}
        vectors = dict(zip(candidates, self.index.search.vectors(candidates), strict=True))
        picked: list[int] = []
        lam = self.settings.mmr_lambda
        while candidates and len(picked) < top_k:

            def gain(row: int) -> float:
                redundancy = max((float(vectors[row] @ vectors[p]) for p in picked), default=0.0)
                return lam * relevance[row] - (1 - lam) * redundancy

            choice = max(candidates, key=gain)
            picked.append(choice)
            candidates.remove(choice)
        return picked + [row for row in ordered if row not in picked]


def month_aliases(tokens: list[str]) -> list[str]:
    """The query's tokens, with each month also in its other written form: "October 12" finds
    "Oct. 12" and the reverse (the index keeps the words as written)."""
    aliases = _month_token_aliases()
    return tokens + [alias for token in tokens for alias in aliases.get(token, ())]


@lru_cache(maxsize=1)
def _month_token_aliases() -> dict[str, tuple[str, ...]]:
    full = {
        abbreviation: bm25_tokenize([name])[0][0]
        for abbreviation, name in MONTH_ABBREVIATIONS.items()
    }
    aliases: dict[str, list[str]] = {}
    for abbreviation, token in full.items():
        aliases.setdefault(token, []).append(abbreviation)
        aliases.setdefault(abbreviation, []).append(token)
    return {token: tuple(dict.fromkeys(others)) for token, others in aliases.items()}


def filter_window(filters: Filters) -> str:
    """ "between 1 and 5 December 2023", "on or after 1 December 2023"; "" with no dates."""
    if filters.since and filters.until:
        return f"between {day_text(filters.since)} and {day_text(filters.until)}"
    if filters.since:
        return f"on or after {day_text(filters.since)}"
    if filters.until:
        return f"on or before {day_text(filters.until)}"
    return ""


def describe_filters(filters: Filters) -> str:
    """What the filters let through, as a reader would say it: "from The Verge published on or
    after 1 December 2023"."""
    outlets = f"from {' or '.join(filters.outlets)}" if filters.outlets else ""
    window = filter_window(filters)
    return " ".join(part for part in (outlets, f"published {window}" if window else "") if part)


def day_text(day: dt.date | None) -> str:
    return describe_date(day.isoformat()) if day else ""
