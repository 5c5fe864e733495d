"""Cleaning, metadata and chunk spans, on the real seeds."""

import pytest

from index.chunk import chunk_article
from index.clean import content_spans
from index.load import load_articles
from index.metadata import describe_date, normalise_date
from tests.conftest import SEEDS

BOILERPLATE = [
    "All news",
    "Report a mistake by marking it and pressing Ctrl+Enter",
    "Follow us:",
    "Twitter: @",
    "EurasiaDiary ©",
    "Must be hyperlinked",
    "0 Comments:",
    "Post a Comment",
    "You Might Also Like",
    "A- A A+",
    "229-39-11",
    # Section labels with teasers of other stories (seed 001).
    "Russia Will Not Allow Restoration of Mechanism",
    "Kim Jong Un Test-Drives North Korea's New-Type Main Battle Tank",
    "North Korean Delegation's Russia Visit Spurred",
]


@pytest.fixture(scope="module")
def seed_articles():  # type: ignore[no-untyped-def]
    return {a.doc_id: a for a in load_articles([SEEDS]).articles}


def test_every_chunk_is_an_exact_span_of_its_file(seed_articles) -> None:  # type: ignore[no-untyped-def]
    for doc_id, article in seed_articles.items():
        original = (SEEDS / f"{doc_id}.txt").read_bytes().decode("utf-8")
        chunks = chunk_article(article, chunk_size=1000, chunk_overlap=200)
        assert chunks, doc_id
        for chunk in chunks:
            assert original[chunk.start : chunk.end] == chunk.text
            assert chunk.text == chunk.text.strip()


@pytest.mark.parametrize("size", [200, 500, 1000, 3000])
def test_chunk_sizes_are_respected_and_cover_the_story(seed_articles, size: int) -> None:  # type: ignore[no-untyped-def]
    for article in seed_articles.values():
        chunks = chunk_article(article, chunk_size=size, chunk_overlap=size // 5)
        assert all(len(c.text) <= size for c in chunks)
        covered = set()
        for chunk in chunks:
            covered.update(range(chunk.start, chunk.end))
        for start, end in content_spans(article.text, article.title):
            story = {i for i in range(start, end) if not article.text[i].isspace()}
            assert story <= covered


# Words that are boilerplate only as a line of their own ("discuss" is fine inside a sentence).
BOILERPLATE_LINES = ["Comments", "Discuss", "Asia", "Analysis", "Sputnik Asia"]


def test_no_boilerplate_in_any_chunk(seed_articles) -> None:  # type: ignore[no-untyped-def]
    for article in seed_articles.values():
        for chunk in chunk_article(article, chunk_size=1000, chunk_overlap=200):
            for phrase in BOILERPLATE:
                assert phrase.lower() not in chunk.text.lower(), (chunk.chunk_id, phrase)
            lines = {line.strip() for line in chunk.text.splitlines()}
            assert not lines & set(BOILERPLATE_LINES), chunk.chunk_id


def test_story_text_is_kept(seed_articles) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(c.text for a in seed_articles.values() for c in chunk_article(a, 1000, 200))
    for phrase in [
        "Mr Putin gave Mr Kim a glove from a spacesuit",
        "Andrei Belousov",
        "The Strength of North Korea",
        'He sees "all conditions',
        "There does seem an almost inevitability",
    ]:
        assert phrase in text


def test_seed_metadata(seed_articles) -> None:  # type: ignore[no-untyped-def]
    got = {doc_id: (a.source, a.published) for doc_id, a in seed_articles.items()}
    assert got == {
        "000_b32fb440e881743b": ("TASS", "--09-12"),
        "001_7df2c242344af025": ("Sputnik", None),
        "002_164cd89d12bb7479": (None, None),
        "003_006df795ca171f94": (None, None),
        "004_af93de6b00e6d4fa": ("EurasiaDiary", "--09-30"),
    }
    titles = {doc_id: a.title for doc_id, a in seed_articles.items()}
    assert titles["000_b32fb440e881743b"].startswith("DPRK confirms friendship with Russia")
    assert titles["001_7df2c242344af025"].startswith("Putin: Russia Highly Values")
    assert (
        titles["004_af93de6b00e6d4fa"]
        == "Russia and N Korea will expand bilateral relations - Putin"
    )
    assert titles["002_164cd89d12bb7479"].startswith("Russia, DPRK to strengthen good-neighbourly")


def test_dates_never_invent_a_year() -> None:
    assert normalise_date("September 12") == "--09-12"
    assert normalise_date("30 September, Friday") == "--09-30"
    assert normalise_date("12 September 2023") == "2023-09-12"
    assert normalise_date("2023-12-25 08:00:00.000000000Z") == "2023-12-25"
    assert normalise_date("not a date at all") is None
    assert describe_date("--09-12") == "12 September (year not stated)"
    assert describe_date("2023-09-26") == "26 September 2023"


def test_token_sized_chunks_fit_the_model(seed_articles) -> None:  # type: ignore[no-untyped-def]
    from index.embed import token_counter

    count = token_counter()
    for article in seed_articles.values():
        chunks = chunk_article(article, chunk_size=200, chunk_overlap=40, length=count)
        assert chunks
        for chunk in chunks:
            assert count(chunk.text) <= 200
            assert article.text[chunk.start : chunk.end] == chunk.text


def test_an_unfilled_page_template_and_its_newsletter_form_are_not_story_text() -> None:
    # As an Independent page reaches the corpus: the sign-up form and its template placeholders.
    text = (
        "Get the latest style news with our free weekly Lifestyle Edit newsletter Please enter a "
        "valid email address Please enter a valid email address SIGN UP Thanks for signing up\n\n"
        "Lifestyle Edit email {{ #verifyErrors }} {{ message }} {{ /verifyErrors }} "
        "{{ ^verifyErrors }} Something went wrong. Please try again later {{ /verifyErrors }}\n\n"
        "The actor said in an interview published on 11 October that they had been separated "
        "for seven years.\n\nShe described the marriage as a partnership."
    )
    kept = " ".join(text[start:end] for start, end in content_spans(text, "Separated"))
    assert "{{" not in kept and "email" not in kept
    assert kept.startswith("The actor said in an interview published on 11 October")
    assert kept.endswith("She described the marriage as a partnership.")
