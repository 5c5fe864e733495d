"""Answers as Markdown and JSON, as a user takes them away."""

import json
import re

from markdown_it import MarkdownIt

from index.documents import Article
from qa.results import Answer, Citation
from ui.export import answer_markdown, conversation_json, conversation_markdown

TEXT = "Mr Putin gave Mr Kim a rifle. The talks lasted four hours."


def answer(url: str | None, source: str | None, published: str | None) -> tuple[Answer, dict]:
    article = Article(doc_id="a1", text=TEXT, path="a1.txt", title="Talks", url=url)
    citation = Citation(
        n=1, doc_id="a1", title="Talks", source=source, published=published, start=30,
        end=len(TEXT), text=TEXT[30:], score=1.0, passage_start=0, passage_end=len(TEXT),
    )  # fmt: skip
    found = Answer(
        question="How long did the talks last?", answer="“The talks lasted four hours.” [1]",
        abstained=False, citations=[citation], query="How long did the talks last?",
    )  # fmt: skip
    return found, {"a1": article}


def test_markdown_holds_the_answer_and_each_source_with_its_exact_quote() -> None:
    found, articles = answer("https://example.org/talks", "TASS", "2023-09-13")
    markdown = answer_markdown(found.question, found, articles)
    assert markdown.splitlines() == [
        "**Q: How long did the talks last?**",
        "",
        "“The talks lasted four hours.” [1]",
        "",
        "Sources:",
        "1. TASS · 13 September 2023 · “Talks” · <https://example.org/talks>",
        "   > The talks lasted four hours. (characters 30–58)",
    ]


def test_unknown_parts_are_left_out_and_only_web_addresses_are_listed() -> None:
    found, articles = answer("javascript:alert(1)", None, None)
    source_line = answer_markdown(found.question, found, articles).splitlines()[5]
    assert source_line == "1. “Talks”"


def test_a_conversation_exports_every_turn() -> None:
    found, articles = answer(None, "TASS", None)
    turns = [("first?", found), ("second?", found)]
    assert conversation_markdown(turns, articles).count("**Q: ") == 2
    exported = json.loads(conversation_json(turns))["conversation"]
    assert len(exported) == 2 and exported[0]["citations"][0]["start"] == 30


HOSTILE = '<img src=x onerror="alert(1)"> [Evil](javascript:alert(2)) <script>alert(3)</script>'


def test_no_field_of_an_article_or_question_becomes_html_or_a_link_in_markdown() -> None:
    """Every field the export writes, rendered by a real CommonMark renderer (with raw HTML on,
    as viewers that render HTML have it): the words show as written, nothing runs or links."""
    text = f"# Heading\n{HOSTILE} said the report. [1]: javascript:alert(4)"
    article = Article(
        doc_id="a1", text=text, path="a1.txt", title=HOSTILE, url="javascript:alert(5)"
    )
    citation = Citation(
        n=1, doc_id="a1", title=HOSTILE, source=f"**Wire** {HOSTILE}", published="2023-09-13",
        start=10, end=len(text), text=text[10:], score=1.0, passage_start=0,
        passage_end=len(text),
        also_published=[{"doc_id": "[x](javascript:alert(6))", "source": HOSTILE,
                         "published": None, "url": "https://example.org/a b>c<img src=x>"}],
    )  # fmt: skip
    found = Answer(
        question=f"Who said {HOSTILE}?", answer=f"“{text[10:]}” [1]", abstained=False,
        citations=[citation], query=f"{HOSTILE} report",
    )  # fmt: skip
    markdown = answer_markdown(found.question, found, {"a1": article})
    rendered = MarkdownIt("commonmark", {"html": True, "linkify": False}).render(markdown)
    assert "<img" not in rendered and "<script" not in rendered and "<strong>Wire" not in rendered
    links = re.findall(r'href="([^"]*)"', rendered)
    assert links == ["https://example.org/a%20b%3Ec%3Cimg%20src=x%3E"], links
    assert "<h1>" not in rendered  # the article's "# Heading" is text, not a heading
    # What a reader sees is what was written, and the answer's marker is still [1].
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; [Evil](javascript:alert(2))" in rendered
    assert "” [1]" in rendered
