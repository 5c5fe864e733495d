"""Answers as Markdown and JSON, as a user takes them away."""

import json

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
        "1. TASS · 13 September 2023 · “Talks” · https://example.org/talks",
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
