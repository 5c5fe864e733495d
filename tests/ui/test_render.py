"""Source cards: what a reader can click."""

import itertools
import re

from index.documents import Article, Chunk
from index.load import article_from_text
from qa.results import Answer, Citation, Passage, ShortAnswer
from tests.conftest import SEEDS
from ui.render import answer_message, escape, source_cards


def card_for(url: str | None, source: str | None = "TASS", published: str | None = None) -> str:
    text = "Mr Putin gave Mr Kim a rifle. The talks lasted four hours."
    article = Article(doc_id="a1", text=text, path="a1.txt", title="Talks", url=url)
    citation = Citation(
        n=1, doc_id="a1", title="Talks", source=source, published=published, start=0, end=29,
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


def test_a_card_shows_what_is_known_of_outlet_and_date_and_leaves_out_the_rest() -> None:
    def meta(html: str) -> str:
        return re.sub(r"<[^>]+>", " ", html)

    assert "unknown" not in meta(card_for(None, source=None, published=None))
    only_date = meta(card_for(None, source=None, published="--09-12"))
    assert "12 September (year not stated)" in only_date and "unknown" not in only_date
    both = meta(card_for(None, source="TASS", published="2023-09-12"))
    assert "TASS · 12 September 2023" in both


GIFTS = "002_164cd89d12bb7479"


def gift_article() -> Article:
    path = SEEDS / f"{GIFTS}.txt"
    return article_from_text(GIFTS, path.read_text(encoding="utf-8"), str(path))


def cite(n: int, article: Article, sentence: str, passage: tuple[int, int]) -> Citation:
    """Cites `sentence` of the article as found in the passage `article.text[passage]`."""
    start = article.text.index(sentence)
    chunk = Chunk(f"{article.doc_id}-{passage[0]}", article.doc_id, *passage,
                  article.text[passage[0] : passage[1]])  # fmt: skip
    return Citation.of_span(n, Passage(chunk, article, 1.0, 0.5, 1.0), start, start + len(sentence),
                            0.9)  # fmt: skip


def repeated_share(a: str, b: str) -> float:
    """How much of the shorter text the other repeats: the share of its runs of five words that
    the other has too (1.0: all of it)."""

    def runs(text: str) -> set[tuple[str, ...]]:
        words = text.split()
        return {tuple(words[i : i + 5]) for i in range(len(words) - 4)}

    a_runs, b_runs = runs(a), runs(b)
    return len(a_runs & b_runs) / max(1, min(len(a_runs), len(b_runs)))


def cards_of(html: str) -> list[str]:
    return re.findall(r'<div class="nq-card" id="[^"]+">.*?</details></div>', html, re.DOTALL)


def test_quotes_of_one_passage_share_one_card_that_every_marker_points_at() -> None:
    article = gift_article()
    passage = (1400, 2600)
    citations = [
        cite(1, article, "They also exchanged gifts, Kremlin spokesman Dmitry Peskov said.", passage),
        cite(2, article, "Mr Putin gave Mr Kim a glove from a spacesuit", passage),
        # Another passage of the same article, far away: a card of its own.
        cite(3, article, article.text[200:260], (0, 700)),
    ]  # fmt: skip
    answer = Answer(question="What gifts did Putin and Kim exchange?", abstained=False,
                    answer="“They also exchanged gifts” [1] “a glove” [2] “Kim” [3]",
                    citations=citations)  # fmt: skip
    sources = source_cards([(answer.question, answer)], {GIFTS: article})
    cards = cards_of(sources)
    assert len(cards) == 2
    shared = cards[0]
    assert shared.startswith('<div class="nq-card" id="nq-c-0-1">')
    # Both quotes marked once in the excerpt and once in the whole article, each with its number.
    assert shared.count("They also exchanged gifts") == 2
    assert shared.count("Mr Putin gave Mr Kim a glove") == 2
    assert shared.count('<span class="nq-span-n">[1]</span>') == 2
    assert shared.count('<span class="nq-span-n">[2]</span>') == 2
    assert '<span class="nq-n">[1]</span> <span class="nq-n">[2]</span>' in shared
    # The offsets are a tooltip, not text on the card.
    assert (
        f'title="characters {citations[0].start}–{citations[0].end}, {citations[1].start}–'
        in shared
    )
    assert "· characters" not in shared
    # The markers: [1] and [2] lead to the shared card, [3] to its own; every target exists.
    targets = re.findall(r'<a class="nq-marker" href="#([^"]+)"', answer_message(answer, 0))
    assert targets == ["nq-c-0-1", "nq-c-0-1", "nq-c-0-3"]
    ids = set(re.findall(r'class="nq-card" id="([^"]+)"', sources))
    assert set(targets) <= ids


def test_no_two_cards_of_one_answer_repeat_nearly_the_same_excerpt() -> None:
    article = gift_article()
    sentences = re.findall(r"[A-Z][^.\n]{30,}\.", article.text)
    # Every sentence cited as found in its passage of about 800 characters (the index's chunks).
    citations = []
    for n, sentence in enumerate(sentences, start=1):
        start = article.text.index(sentence)
        passage = (start // 800 * 800, min(len(article.text), start // 800 * 800 + 800))
        citations.append(cite(n, article, sentence, passage))
    answer = Answer(question="q", answer="x", abstained=False, citations=citations)
    excerpts = [
        re.sub(r"<[^>]+>", "", excerpt)
        for excerpt in re.findall(
            r'<div class="nq-excerpt">(.*?)</div>',
            source_cards([("q", answer)], {GIFTS: article}),
            re.DOTALL,
        )
    ]
    for a, b in itertools.combinations(excerpts, 2):
        assert repeated_share(a, b) < 0.5
    assert 1 < len(excerpts) < len(citations)


def test_a_direct_answer_inside_a_shared_card_is_marked_once() -> None:
    article = gift_article()
    passage = (1400, 2600)
    citations = [
        cite(1, article, "They also exchanged gifts, Kremlin spokesman Dmitry Peskov said.", passage),
        cite(2, article, "Mr Putin gave Mr Kim a glove from a spacesuit", passage),
    ]  # fmt: skip
    glove = article.text.index("a glove from a spacesuit")
    short = ShortAnswer("a glove from a spacesuit", GIFTS, glove, glove + 24, citation=2)
    answer = Answer(question="q", answer="x", abstained=False, citations=citations,
                    short_answer=short)  # fmt: skip
    [card] = cards_of(source_cards([("q", answer)], {GIFTS: article}))
    excerpt = card.split('<div class="nq-excerpt">')[1].split("</div>")[0]
    assert excerpt.count('<mark class="nq-short-span">a glove from a spacesuit</mark>') == 1


def dated_citation(n: int, published: str, source: str) -> Citation:
    text = f"Repairs will cost {n} million dollars, officials said."
    return Citation(
        n=n, doc_id=f"d{n}", title="Repairs", source=source, published=published, start=0,
        end=len(text), text=text, score=1.0, passage_start=0, passage_end=len(text),
    )  # fmt: skip


def test_the_answer_leads_with_two_quotes_and_folds_the_others() -> None:
    """No direct answer found: the two best quotes lead, the others fold away."""
    from qa.extractive import dating_note

    citations = [dated_citation(n, f"2024-03-0{n}", f"Outlet {n}") for n in (1, 2, 3, 4)]
    quotes = [f"“{c.text}” [{c.n}]" for c in citations]
    answer = Answer(question="How much will repairs cost?", answer="\n\n".join(quotes),
                    abstained=False, citations=citations)  # fmt: skip
    html = answer_message(answer, 0)
    lead, _, folded = html.partition('<details class="nq-more">')
    assert "1 million" in lead and "2 million" in lead and "3 million" not in lead
    assert "<summary>More from the articles (2)</summary>" in folded
    assert "3 million" in folded and "4 million" in folded
    # Dates are noted only when a later report than the leading quote's is cited.
    assert dating_note(citations) is not None
    assert dating_note(list(reversed(citations))) is None
    assert dating_note(citations).startswith("Note on dates: [4] (Outlet 4, 4 March 2024)")
    answer.answer += "\n\n" + dating_note(citations)
    html = answer_message(answer, 0)
    assert html.index("Note on dates") > html.index("</details>")  # in view, not folded
    # Two quotes: nothing to fold.
    alone = Answer(
        question="q", answer="\n\n".join(quotes[:2]), abstained=False, citations=citations[:2]
    )
    assert "nq-more" not in answer_message(alone, 0)


def test_a_yes_no_question_has_a_place_for_its_verdict() -> None:
    citation = dated_citation(1, "2024-03-01", "Outlet 1")
    answer = Answer(question="Did repairs cost a million dollars?", answer=f"“{citation.text}” [1]",
                    abstained=False, citations=[citation], asks_yes_no=True)  # fmt: skip
    # Not decided: said so, above the quotes, never a guessed "Yes".
    html = answer_message(answer, 0)
    assert html.index("Not answered yes or no") < html.index("1 million")
    assert answer.to_json()["yes_no"] is None and answer.to_json()["asks_yes_no"] is True
    # Decided (by a backend that reads it): the verdict leads, in bold.
    answer.yes_no = "yes"
    assert '<p class="nq-short nq-yes-no"><b>Yes</b></p>' in answer_message(answer, 0)


def test_a_card_shows_every_word_of_a_quote_that_runs_past_its_passage() -> None:
    article = gift_article()
    # A quote of two sentences whose second lies past the end of the passage it was found in.
    first = "They also exchanged gifts, Kremlin spokesman Dmitry Peskov said."
    start = article.text.index(first)
    end = article.text.index(".", start + len(first) + 2) + 1
    quote = article.text[start:end]
    chunk = Chunk(
        "c",
        GIFTS,
        start - 300,
        start + len(first) + 5,
        article.text[start - 300 : start + len(first) + 5],
    )
    citation = Citation.of_span(1, Passage(chunk, article, 1.0, 0.5, 1.0), start, end, 0.9)
    assert citation.text == quote and end > chunk.end
    answer = Answer(question="What gifts?", abstained=False, answer="“gifts” [1]",
                    citations=[citation])  # fmt: skip
    [card] = cards_of(source_cards([(answer.question, answer)], {GIFTS: article}))
    excerpt = re.search(r'<div class="nq-excerpt">(.*?)</div>', card, re.DOTALL)
    assert excerpt is not None
    marked = re.findall(r'<mark class="nq-span">(.*?)</mark>', excerpt.group(1), re.DOTALL)
    assert marked == [escape(quote)]  # the whole quote, highlighted, in the excerpt itself
