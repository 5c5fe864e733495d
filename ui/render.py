"""HTML for answers and source cards. Every piece of article or user text is escaped here."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from index.metadata import byline, describe_date
from qa.results import Answer, Citation, ShortAnswer
from qa.timeline import Timeline
from qa.verify import MARKER

# Around the cited span, show this much of the passage it was found in.
CONTEXT_CHARS = 320
# Two citations of one article share a card when their excerpts overlap by at least this share of
# the shorter one; apart, the two cards would repeat nearly the same text. Measured on the seed
# questions (bench/seed_questions.jsonl plus follow-ups), pairs from one article overlap by 1.00
# (neighbouring sentences, as in the gift question), 0.79-0.87 or 0.60; the next are 0.47 and
# 0.27, where most of each card is its own.
SHARED_EXCERPT = 0.5


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def card_id(turn: int, n: int) -> str:
    return f"nq-c-{turn}-{n}"


def user_message(question: str) -> str:
    # Shown as typed, never interpreted: markdown and HTML characters are escaped.
    return f'<span class="nq-question">{escape(question)}</span>'


def answer_message(answer: Answer, turn: int) -> str:
    """The answer with clickable citation markers; abstentions look different on purpose."""
    notices = "".join(f'<p class="nq-notice">{escape(n)}</p>' for n in answer.notices)
    if answer.query and answer.query != answer.question:
        # A follow-up was searched with what it refers to; the user can see it and undo it.
        notices = (
            f'<p class="nq-searched">Searched for: “{escape(answer.query)}” (read with the last '
            "question; “Search as written” below undoes this)</p>" + notices
        )
    if answer.abstained and not answer.partial:
        nearest = "".join(
            f"<li><b>{escape(p['title'] or p['doc_id'])}</b>"
            f"{_meta(byline(p['source'], p.get('published')))}<br>"
            f"{escape(_shorten(p['text'], 260))}</li>"
            for p in answer.nearest
        )
        not_found = (
            "Not found within the filters."
            if answer.answered_outside
            else "Not found in the articles."
        )
        return (
            f'<div class="nq-abstain">{notices}<p><b>{not_found}</b> '
            f"{escape(answer.answer)}</p>"
            + (f'<p class="nq-meta">Nearest passages:</p><ul>{nearest}</ul>' if nearest else "")
            + "</div>"
        )
    cards = card_numbers(answer.citations)
    # Lead with the direct answer (or, where reports differ, which says what) and the quote
    # that states it; the other quotes fold away.
    shown = answer.paragraphs
    first = "nq-short" if answer.short_answer else "nq-versions" if answer.versions else ""
    paragraphs = [
        f'<p class="{first if n == 0 else ""}">{_with_markers(paragraph, turn, cards)}</p>'
        for n, paragraph in enumerate(shown.lead)
    ]
    if shown.more:
        more = "".join(f"<p>{_with_markers(p, turn, cards)}</p>" for p in shown.more)
        paragraphs.append(
            f'<details class="nq-more"><summary>More from the articles ({len(shown.more)})'
            f"</summary>{more}</details>"
        )
    if shown.dates_note:
        paragraphs.append(f"<p>{_with_markers(shown.dates_note, turn, cards)}</p>")
    if answer.verdict:
        # A yes/no question: its verdict first where one was decided, else say it was not.
        paragraphs.insert(
            0,
            f'<p class="nq-short nq-yes-no"><b>{escape(answer.verdict)}</b></p>'
            if answer.yes_no
            else f'<p class="nq-yes-no">{escape(answer.verdict)}</p>',
        )
    flags = "".join(f'<p class="nq-flag">⚠ {escape(f)}</p>' for f in answer.removals)
    # Declined, but the articles mention the subject: what they say is cited, not claimed.
    kind = "nq-partial" if answer.partial else "nq-answer"
    lead = "<p><b>Partly found.</b></p>" if answer.partial else ""
    return f'<div class="{kind}">{notices}{lead}{"".join(paragraphs)}{flags}</div>'


def _with_markers(paragraph: str, turn: int, cards: dict[int, int]) -> str:
    """Escaped text with each [n] turned into a link to the source card that holds quote n."""
    pieces = []
    last = 0
    for match in MARKER.finditer(paragraph):
        pieces.append(escape(paragraph[last : match.start()]))
        n = int(match.group(1))
        target = card_id(turn, cards.get(n, n))
        pieces.append(f'<a class="nq-marker" href="#{target}" title="Show source {n}">[{n}]</a>')
        last = match.end()
    pieces.append(escape(paragraph[last:]))
    return "".join(pieces)


def pending_message(text: str) -> str:
    """Generated text as it streams in: not yet checked, so shown dimmed and unlinked."""
    return f'<div class="nq-pending">{escape(text)}<span class="nq-cursor">▍</span></div>'


def source_cards(turns: list[tuple[str, Answer]], articles: Mapping[str, Any]) -> str:
    """One card per cited passage, newest question first; older turns fold away."""
    if not turns:
        return '<div class="nq-empty">Sources for each answer appear here.</div>'
    blocks = []
    for turn in range(len(turns) - 1, -1, -1):
        question, answer = turns[turn]
        cards = "".join(
            _card(turn, group, articles.get(group[0].doc_id), answer.short_answer)
            for group in card_groups(answer.citations)
        )
        if not cards:
            cards = '<div class="nq-empty">No sources: the articles do not answer this.</div>'
        head = f'<span class="nq-turn-q">{escape(_shorten(question, 120))}</span>'
        if turn == len(turns) - 1:
            blocks.append(f'<div class="nq-turn">{head}{cards}</div>')
        else:
            blocks.append(f'<details class="nq-turn"><summary>{head}</summary>{cards}</details>')
    return "".join(blocks)


def card_groups(citations: Sequence[Citation]) -> list[list[Citation]]:
    """The citations each source card shows, in marker order: one card for the quotes of one
    article whose excerpts overlap heavily, so no two cards repeat nearly the same text."""
    groups: list[list[Citation]] = []
    for citation in citations:
        home = next(
            (
                group
                for group in groups
                if group[0].doc_id == citation.doc_id
                and any(_excerpts_overlap(citation, other) for other in group)
            ),
            None,
        )
        if home is None:
            groups.append([citation])
        else:
            home.append(citation)
    return groups


def card_numbers(citations: Sequence[Citation]) -> dict[int, int]:
    """Marker n -> the number its card is named after (the card's first citation)."""
    return {c.n: group[0].n for group in card_groups(citations) for c in group}


def _window(citation: Citation) -> tuple[int, int]:
    """The stretch of the article a card shows around one cited span: context from its passage,
    and always every word of the span, which may run past the passage (a quote of two sentences
    whose second opens the next chunk)."""
    return (
        min(citation.start, max(citation.passage_start, citation.start - CONTEXT_CHARS)),
        max(citation.end, min(citation.passage_end, citation.end + CONTEXT_CHARS)),
    )


def _excerpts_overlap(a: Citation, b: Citation) -> bool:
    (a_start, a_end), (b_start, b_end) = _window(a), _window(b)
    shared = min(a_end, b_end) - max(a_start, b_start)
    shorter = min(a_end - a_start, b_end - b_start)
    return shared > 0 and shared >= SHARED_EXCERPT * max(shorter, 1)


def _meta(known: str) -> str:
    return f'<span class="nq-meta"> · {escape(known)}</span>' if known else ""


def _card(turn: int, group: list[Citation], article: Any, short: ShortAnswer | None) -> str:
    first = group[0]
    title = first.title or first.doc_id
    meta = " · ".join(part for part in (byline(first.source, first.published), title) if part)
    numbers = " ".join(f'<span class="nq-n">[{c.n}]</span>' for c in group)
    if short is not None and short.citation not in {c.n for c in group}:
        short = None
    if article is not None:
        text = article.text
        start = min(_window(c)[0] for c in group)
        end = max(_window(c)[1] for c in group)
        excerpt = (
            ("…" if start > min(c.passage_start for c in group) else "")
            + _marked(text, start, end, group, short, turn=None)
            + ("…" if end < max(c.passage_end for c in group) else "")
        )
        full = (
            '<details class="nq-full"><summary>Open the whole article</summary>'
            f'<div class="nq-article">{_marked(text, 0, len(text), group, short, turn)}</div>'
            "</details>"
        )
    else:
        excerpt = " … ".join(
            f'<mark class="nq-span">{_label(c, group)}{_quote(c, short)}</mark>' for c in group
        )
        full = ""
    url = web_address(article)
    # In a new tab that can't reach back into this page.
    link = (
        f' · <a href="{escape(url)}" target="_blank" rel="noopener noreferrer">original ↗</a>'
        if url
        else ""
    )
    # Character offsets are for checking by machine (--json, the export): a tooltip here.
    spans = ", ".join(f"{c.start}–{c.end}" for c in group)
    return (
        f'<div class="nq-card" id="{card_id(turn, first.n)}">'
        f'<div class="nq-card-head">{numbers} {escape(meta)}</div>'
        f'<div class="nq-excerpt">{excerpt}</div>'
        f'<div class="nq-meta" title="characters {spans} of the article">{escape(first.doc_id)}'
        f"{link}</div>{also_published(first)}{full}</div>"
    )


def also_published(citation: Citation) -> str:
    """ "Also published by Reuters · 12 September 2023 (original ↗), …": the other copies of a
    syndicated report, each with its own link, or its id to open it in the Library."""
    if not citation.also_published:
        return ""
    copies = []
    for copy in citation.also_published:
        known = byline(copy["source"], copy["published"]) or copy["title"] or copy["doc_id"] or ""
        url = web_address(copy)
        opened = (
            f' (<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">original ↗</a>)'
            if url
            else f" (id {escape(copy['doc_id'] or '')})"
        )
        copies.append(escape(known) + opened)
    return f'<div class="nq-meta nq-also">Also published by {"; ".join(copies)}</div>'


def web_address(article: Any) -> str | None:
    """The article's address when it is a web one (http or https); anything else (javascript:,
    file:, data:) is never offered to be opened or copied as a link."""
    url = (article.get("url") if isinstance(article, dict) else getattr(article, "url", None)) or ""
    return url if re.match(r"https?://", url, re.IGNORECASE) else None


def _quote(citation: Citation, short: ShortAnswer | None) -> str:
    """The cited span, escaped, with the direct answer inside it marked too."""
    if short is None or short.citation != citation.n:
        return escape(citation.text)
    start, end = short.start - citation.start, short.end - citation.start
    return (
        escape(citation.text[:start])
        + f'<mark class="nq-short-span">{escape(citation.text[start:end])}</mark>'
        + escape(citation.text[end:])
    )


def _label(citation: Citation, group: list[Citation]) -> str:
    """Which marker a quote answers to, where a card holds more than one."""
    return f'<span class="nq-span-n">[{citation.n}]</span>' if len(group) > 1 else ""


def _marked(
    text: str,
    start: int,
    end: int,
    group: list[Citation],
    short: ShortAnswer | None,
    turn: int | None,
) -> str:
    """`text[start:end]`, escaped, with each cited span highlighted. Quotes that follow each
    other with only space between share one highlight: they read as one cited stretch."""
    runs: list[list[tuple[int, int, Citation]]] = []
    position = start
    for citation in sorted(group, key=lambda c: c.start):
        # Never mark a character twice: a span that overlaps the one before starts after it.
        span_start, span_end = max(citation.start, position), min(citation.end, end)
        if span_end <= span_start:
            continue
        if runs and not text[runs[-1][-1][1] : span_start].strip():
            runs[-1].append((span_start, span_end, citation))
        else:
            runs.append([(span_start, span_end, citation)])
        position = span_end
    pieces = []
    position = start
    for run in runs:
        pieces.append(escape(text[position : run[0][0]]))
        # The first quote's mark keeps the id the whole-article view has always had.
        mark_id = f' id="nq-m-{turn}-{run[0][2].n}"' if turn is not None else ""
        inner = []
        for n, (span_start, span_end, citation) in enumerate(run):
            if n:
                inner.append(escape(text[run[n - 1][1] : span_start]))
            inner.append(_label(citation, group) + _highlight(text, span_start, span_end, short))
        pieces.append(f'<mark class="nq-span"{mark_id}>{"".join(inner)}</mark>')
        position = run[-1][1]
    pieces.append(escape(text[position:end]))
    return "".join(pieces)


def _highlight(text: str, start: int, end: int, short: ShortAnswer | None) -> str:
    """`text[start:end]`, escaped, with the part of the direct answer inside it marked."""
    if short is None or short.end <= start or short.start >= end:
        return escape(text[start:end])
    inside_start, inside_end = max(short.start, start), min(short.end, end)
    return (
        escape(text[start:inside_start])
        + f'<mark class="nq-short-span">{escape(text[inside_start:inside_end])}</mark>'
        + escape(text[inside_end:end])
    )


def _shorten(text: str, limit: int) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def timeline_html(timeline: Timeline | None, answer: Answer | None, turn: int) -> str:
    """The timeline's reports, oldest first: date, outlet, headline and the sentence that
    bears on the question, with the answer's marker to its source card where it cites one."""
    if timeline is None or answer is None:
        return '<p class="nq-timeline-empty">Ask a question: its reports appear here by date.</p>'
    if not timeline.entries:
        return '<p class="nq-timeline-empty">No report found on this subject.</p>'
    cards = card_numbers(answer.citations)
    items = []
    for entry in timeline.entries:
        marker = ""
        if entry.citation is not None:
            target = card_id(turn, cards.get(entry.citation, entry.citation))
            marker = (
                f' <a class="nq-marker" href="#{target}" title="Show source {entry.citation}">'
                f"[{entry.citation}]</a>"
            )
        day = describe_date(entry.published) if entry.published else "date unknown"
        items.append(
            f'<li><span class="nq-tl-day">{escape(day)}</span> · '
            f'<span class="nq-tl-outlet">{escape(entry.source or "outlet unknown")}</span> · '
            f"“{escape(entry.title or entry.doc_id)}”"
            f"<blockquote>{escape(entry.sentence)}{marker}</blockquote></li>"
        )
    return f'<ol class="nq-timeline-list">{"".join(items)}</ol>'
