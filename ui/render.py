"""HTML for answers and source cards. Every piece of article or user text is escaped here."""

from __future__ import annotations

import html
import re
from typing import Any

from index.metadata import describe_date
from qa.results import Answer, Citation, ShortAnswer
from qa.verify import MARKER

# Around the cited span, show this much of the passage it was found in.
CONTEXT_CHARS = 320


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
            f'<span class="nq-meta"> · {escape(p["source"] or "outlet unknown")}</span><br>'
            f"{escape(_shorten(p['text'], 260))}</li>"
            for p in answer.nearest
        )
        return (
            f'<div class="nq-abstain">{notices}<p><b>Not found in the articles.</b> '
            f"{escape(answer.answer)}</p>"
            + (f'<p class="nq-meta">Nearest passages:</p><ul>{nearest}</ul>' if nearest else "")
            + "</div>"
        )
    paragraphs = [
        f'<p class="{"nq-short" if n == 0 and answer.short_answer else ""}">'
        f"{_with_markers(paragraph, turn)}</p>"
        for n, paragraph in enumerate(answer.answer.split("\n\n"))
    ]
    flags = "".join(f'<p class="nq-flag">⚠ {escape(f)}</p>' for f in answer.flags)
    # Declined, but the articles mention the subject: what they say is cited, not claimed.
    kind = "nq-partial" if answer.partial else "nq-answer"
    lead = "<p><b>Partly found.</b></p>" if answer.partial else ""
    return f'<div class="{kind}">{notices}{lead}{"".join(paragraphs)}{flags}</div>'


def _with_markers(paragraph: str, turn: int) -> str:
    """Escaped text with each [n] turned into a link to source card n."""
    pieces = []
    last = 0
    for match in MARKER.finditer(paragraph):
        pieces.append(escape(paragraph[last : match.start()]))
        n = int(match.group(1))
        target = card_id(turn, n)
        pieces.append(f'<a class="nq-marker" href="#{target}" title="Show source {n}">[{n}]</a>')
        last = match.end()
    pieces.append(escape(paragraph[last:]))
    return "".join(pieces)


def pending_message(text: str) -> str:
    """Generated text as it streams in: not yet checked, so shown dimmed and unlinked."""
    return f'<div class="nq-pending">{escape(text)}<span class="nq-cursor">▍</span></div>'


def source_cards(turns: list[tuple[str, Answer]], articles: dict[str, Any]) -> str:
    """One card per citation, newest question first; older turns fold away."""
    if not turns:
        return '<div class="nq-empty">Sources for each answer appear here.</div>'
    blocks = []
    for turn in range(len(turns) - 1, -1, -1):
        question, answer = turns[turn]
        short = answer.short_answer
        cards = "".join(
            _card(
                turn, c, articles.get(c.doc_id), short if short and short.citation == c.n else None
            )
            for c in answer.citations
        )
        if not cards:
            cards = '<div class="nq-empty">No sources: the articles do not answer this.</div>'
        head = f'<span class="nq-turn-q">{escape(_shorten(question, 120))}</span>'
        if turn == len(turns) - 1:
            blocks.append(f'<div class="nq-turn">{head}{cards}</div>')
        else:
            blocks.append(f'<details class="nq-turn"><summary>{head}</summary>{cards}</details>')
    return "".join(blocks)


def _card(turn: int, citation: Citation, article: Any, short: ShortAnswer | None) -> str:
    title = citation.title or citation.doc_id
    meta = " · ".join(
        (citation.source or "outlet unknown", describe_date(citation.published), title)
    )
    quote = _quote(citation, short)
    excerpt = _excerpt(article.text, citation, quote) if article is not None else quote
    full = ""
    if article is not None:
        text = article.text
        full = (
            '<details class="nq-full"><summary>Open the whole article</summary>'
            f'<div class="nq-article">{escape(text[: citation.start])}'
            f'<mark class="nq-span" id="nq-m-{turn}-{citation.n}">{quote}</mark>'
            f"{escape(text[citation.end :])}</div></details>"
        )
    url = web_address(article)
    # In a new tab that can't reach back into this page.
    link = (
        f' · <a href="{escape(url)}" target="_blank" rel="noopener noreferrer">original ↗</a>'
        if url
        else ""
    )
    return (
        f'<div class="nq-card" id="{card_id(turn, citation.n)}">'
        f'<div class="nq-card-head"><span class="nq-n">[{citation.n}]</span> {escape(meta)}</div>'
        f'<div class="nq-excerpt">{excerpt}</div>'
        f'<div class="nq-meta">{escape(citation.doc_id)} · characters {citation.start}–{citation.end}'
        f"{link}</div>{full}</div>"
    )


def web_address(article: Any) -> str | None:
    """The article's address when it is a web one (http or https); anything else (javascript:,
    file:, data:) is never offered to be opened or copied as a link."""
    url = getattr(article, "url", None) or ""
    return url if re.match(r"https?://", url, re.IGNORECASE) else None


def _quote(citation: Citation, short: ShortAnswer | None) -> str:
    """The cited span, escaped, with the direct answer inside it marked too."""
    if short is None:
        return escape(citation.text)
    start, end = short.start - citation.start, short.end - citation.start
    return (
        escape(citation.text[:start])
        + f'<mark class="nq-short-span">{escape(citation.text[start:end])}</mark>'
        + escape(citation.text[end:])
    )


def _excerpt(text: str, citation: Citation, quote: str) -> str:
    """The cited span highlighted inside its surrounding passage."""
    start = max(citation.passage_start, citation.start - CONTEXT_CHARS)
    end = min(citation.passage_end, citation.end + CONTEXT_CHARS)
    before = text[start : citation.start]
    after = text[citation.end : end]
    return (
        ("…" if start > citation.passage_start else "")
        + escape(before)
        + f'<mark class="nq-span">{quote}</mark>'
        + escape(after)
        + ("…" if end < citation.passage_end else "")
    )


def _shorten(text: str, limit: int) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
