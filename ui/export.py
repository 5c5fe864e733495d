"""What a user takes away: an answer or a whole conversation as Markdown, or as JSON.

Markdown keeps what a reader needs to check a claim elsewhere: the answer, then numbered
sources with outlet, date, headline, address and the exact quote. Every field in it comes from
an article or a question, so each is written as text a Markdown viewer shows as it is: HTML
escaped, Markdown's marks escaped, and links only to http and https addresses. JSON is the
`Answer` objects themselves, as `newsqa ask --json` prints them.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from index.metadata import describe_date
from qa.results import Answer
from qa.timeline import Timeline
from ui.render import web_address

# Marks that make Markdown out of text anywhere in a line, and those that do at its start.
INLINE_MARKS = re.compile(r"([\\`*_\[\]|~])")
LINE_START_MARKS = re.compile(r"^(\s*)([#+=-])|^(\s*\d+)([.)])", re.MULTILINE)
# The answer's own markers, [n], stay as written where nothing could make a link of them.
MARKER = re.compile(r"\\\[(\d+)\\\](?![(\[:])")


def as_text(text: str) -> str:
    """Text shown as it is by any Markdown viewer: no HTML, no link, no emphasis or heading."""
    escaped = INLINE_MARKS.sub(r"\\\1", html.escape(text, quote=False))
    return LINE_START_MARKS.sub(
        lambda m: "{}\\{}".format(*((m[1], m[2]) if m[2] is not None else (m[3], m[4]))),
        escaped,
    )


def as_link(record: Any) -> str:
    """A record's web address as a Markdown autolink; nothing for any other kind of address."""
    address = web_address(record)
    if not address:
        return ""
    # What an autolink can't hold is percent-encoded, so the address can't close it early.
    return "<" + re.sub(r"[\s<>\"'`\\]", lambda m: f"%{ord(m.group(0)):02X}", address) + ">"


def answer_markdown(question: str, answer: Answer, articles: Mapping[str, Any]) -> str:
    lines = [f"**Q: {as_text(question)}**", ""]
    if answer.query and answer.query != answer.question:
        lines += [f"_Searched for: {as_text(answer.query)}_", ""]
    if answer.verdict:
        # A check: its verdict first ("Yes", "No"), or that it was not decided.
        lines += [
            f"**{as_text(answer.verdict)}**" if answer.yes_no else as_text(answer.verdict),
            "",
        ]
    lines += [MARKER.sub(r"[\1]", as_text(answer.answer.strip())), ""]
    if answer.citations:
        lines.append("Sources:")
        for citation in answer.citations:
            # What is known, in order; unknown parts are left out rather than said unknown.
            known = [
                as_text(one_line(citation.source)),
                describe_date(citation.published) if citation.published else "",
                f"“{as_text(one_line(citation.title))}”"
                if citation.title
                else as_text(citation.doc_id),
                as_link(articles.get(citation.doc_id)),
            ]
            lines.append(f"{citation.n}. " + " · ".join(k for k in known if k))
            quote = as_text(one_line(citation.text))
            lines.append(f"   > {quote} (characters {citation.start}–{citation.end})")
            for copy in citation.also_published:
                also = [
                    as_text(one_line(copy["source"])),
                    describe_date(copy["published"]) if copy["published"] else "",
                    as_link(copy) or as_text(copy["doc_id"] or ""),
                ]
                lines.append("   Also published by " + " · ".join(a for a in also if a))
        lines.append("")
    return "\n".join(lines)


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def conversation_markdown(
    turns: Sequence[tuple[str, Answer]],
    articles: Mapping[str, Any],
    timelines: Mapping[int, Timeline] | None = None,
) -> str:
    blocks = []
    for turn, (question, answer) in enumerate(turns):
        block = answer_markdown(question, answer, articles)
        timeline = (timelines or {}).get(turn)
        if timeline is not None and timeline.entries:
            block += timeline_markdown(timeline)
        blocks.append(block)
    return "# newsqa conversation\n\n" + "\n---\n\n".join(blocks)


def timeline_markdown(timeline: Timeline) -> str:
    """The timeline under an answer: one line a report, oldest first, and its sentence."""
    lines = ["Timeline:"]
    for entry in timeline.entries:
        day = describe_date(entry.published) if entry.published else "date unknown"
        cited = f" [{entry.citation}]" if entry.citation is not None else ""
        title = as_text(one_line(entry.title or entry.doc_id))
        outlet = as_text(one_line(entry.source or "outlet unknown"))
        lines.append(f"- {day} · {outlet} · “{title}”{cited}")
        lines.append(f"  > {as_text(one_line(entry.sentence))}")
    return "\n".join(lines) + "\n"


def conversation_json(
    turns: Sequence[tuple[str, Answer]], timelines: Mapping[int, Timeline] | None = None
) -> str:
    rows = []
    for turn, (_, answer) in enumerate(turns):
        timeline = (timelines or {}).get(turn)
        rows.append({**answer.to_json(), "timeline": timeline.to_json() if timeline else None})
    return json.dumps({"conversation": rows}, ensure_ascii=False, indent=1)
