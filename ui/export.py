"""What a user takes away: an answer or a whole conversation as Markdown, or as JSON.

Markdown keeps what a reader needs to check a claim elsewhere: the answer, then numbered
sources with outlet, date, headline, address and the exact quote. JSON is the `Answer`
objects themselves, as `newsqa ask --json` prints them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from index.metadata import describe_date
from qa.results import Answer
from ui.render import web_address


def answer_markdown(question: str, answer: Answer, articles: dict[str, Any]) -> str:
    lines = [f"**Q: {question}**", ""]
    if answer.query and answer.query != answer.question:
        lines += [f"_Searched for: {answer.query}_", ""]
    lines += [answer.answer.strip(), ""]
    if answer.citations:
        lines.append("Sources:")
        for citation in answer.citations:
            # What is known, in order; unknown parts are left out rather than said unknown.
            known = [
                citation.source or "",
                describe_date(citation.published) if citation.published else "",
                f"“{citation.title}”" if citation.title else citation.doc_id,
                web_address(articles.get(citation.doc_id)) or "",
            ]
            lines.append(f"{citation.n}. " + " · ".join(k for k in known if k))
            quote = " ".join(citation.text.split())
            lines.append(f"   > {quote} (characters {citation.start}–{citation.end})")
            for copy in citation.also_published:
                also = [
                    copy["source"] or "",
                    describe_date(copy["published"]) if copy["published"] else "",
                    web_address(copy) or copy["doc_id"] or "",
                ]
                lines.append("   Also published by " + " · ".join(a for a in also if a))
        lines.append("")
    return "\n".join(lines)


def conversation_markdown(turns: Sequence[tuple[str, Answer]], articles: dict[str, Any]) -> str:
    blocks = [answer_markdown(question, answer, articles) for question, answer in turns]
    return "# newsqa conversation\n\n" + "\n---\n\n".join(blocks)


def conversation_json(turns: Sequence[tuple[str, Answer]]) -> str:
    return json.dumps(
        {"conversation": [answer.to_json() for _, answer in turns]}, ensure_ascii=False, indent=1
    )
