"""Source cards: what a reader can click."""

from index.documents import Article
from qa.results import Answer, Citation
from ui.render import source_cards


def card_for(url: str | None) -> str:
    text = "Mr Putin gave Mr Kim a rifle. The talks lasted four hours."
    article = Article(doc_id="a1", text=text, path="a1.txt", title="Talks", url=url)
    citation = Citation(
        n=1, doc_id="a1", title="Talks", source="TASS", published=None, start=0, end=29,
        text=text[:29], score=1.0, passage_start=0, passage_end=len(text),
    )  # fmt: skip
    answer = Answer(question="What did Putin give?", answer="x [1]", abstained=False,
                    citations=[citation])  # fmt: skip
    return source_cards([("What did Putin give?", answer)], {"a1": article})


def test_a_web_address_opens_in_a_new_tab_that_cannot_reach_back() -> None:
    html = card_for("https://example.org/2023/09/13/talks?id=1&x=2")
    assert (
        '<a href="https://example.org/2023/09/13/talks?id=1&amp;x=2" target="_blank" '
        'rel="noopener noreferrer">original ↗</a>'
    ) in html


def test_other_addresses_are_never_links() -> None:
    for url in ("javascript:alert(1)", "file:///etc/passwd", "data:text/html,hi", None, ""):
        assert "<a " not in card_for(url)
