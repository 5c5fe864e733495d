"""The Library's views of a real index: what the chat offers to ask fits what is indexed."""

import json
import shutil
from pathlib import Path

from index.build import IndexBuilder
from index.embed import Embedder
from index.settings import Settings
from index.store import LocalStore
from tests.conftest import SEED_IDS, SEEDS
from ui.chat_tab import EXAMPLES
from ui.library import Listing, article_page, example_questions

SEEDS_ONLY = frozenset(SEED_IDS)


def test_the_seed_questions_are_offered_while_the_seeds_are_what_is_indexed(
    seed_index: Settings,
) -> None:
    index = LocalStore(seed_index.index_dir).load()
    label, shown, questions = example_questions(index, SEEDS_ONLY, EXAMPLES)
    assert "seed articles" in label and shown == questions == EXAMPLES


def test_otherwise_the_newest_headlines_each_start_a_question(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "feed"
    shutil.copytree(SEEDS, folder)
    records = [
        {"url": "https://ferry.example/2025/10/07/close", "source": "Fjord Courier",
         "title": "Glimmerfjord ferry line to close after 61 years as the new bridge opens",
         "body": "The ferry line between Glimmerfjord and Skarvøy will close in October."},
        {"url": "https://ferry.example/2024/05/01/fares", "title": "Ferry fares rise",
         "body": "Ferry fares between Glimmerfjord and Skarvøy rise by a tenth in May."},
    ]  # fmt: skip
    (folder / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    settings = Settings(index_dir=tmp_path / ".newsqa")
    IndexBuilder(settings, embedder).run([folder])
    index = LocalStore(settings.index_dir).load()
    label, shown, questions = example_questions(index, SEEDS_ONLY, EXAMPLES)
    assert label == "Ask about the newest articles" and len(shown) == len(questions) == 5
    # Newest first (2025, then 2024, then the seeds without a full date); a long headline is
    # cut at a word, the question keeps it whole and names the outlet when known.
    assert shown[0] == "Glimmerfjord ferry line to close after 61 years as the new…"
    assert questions[0] == (
        "What did Fjord Courier report in “Glimmerfjord ferry line to close after 61 years as "
        "the new bridge opens”?"
    )
    assert questions[1] == "What did ferry.example report in “Ferry fares rise”?"
    assert all(len(text) <= 60 for text in shown)
    assert not set(questions) & set(EXAMPLES)


def test_a_page_past_the_last_is_the_last_and_a_search_that_matches_nothing_says_so(
    seed_index: Settings,
) -> None:
    index = LocalStore(seed_index.index_dir).load()
    page = article_page(index, Listing(page=7))
    assert page.listing.page == 0 and page.pages == 1 and len(page.rows) == 5
    assert "5 articles, newest first." in page.line
    nothing = article_page(index, Listing(search="zzzz", page=3))
    assert nothing.rows == [] and nothing.listing.page == 0
    assert "No article matching “zzzz”." in nothing.line


def test_each_order_keeps_articles_without_a_date_or_outlet_last(seed_index: Settings) -> None:
    index = LocalStore(seed_index.index_dir).load()

    def ids(order: str) -> list[str]:
        return [row[3][:3] for row in article_page(index, Listing(order=order)).rows]

    # 004 and 000 give a day without a year (30 and 12 September); 001–003 give no date.
    assert ids("Newest first") == ["004", "000", "003", "002", "001"]
    assert ids("Oldest first") == ["000", "004", "001", "002", "003"]
    # EurasiaDiary, Sputnik, TASS; 002 and 003 name no outlet.
    assert ids("Outlet") == ["004", "001", "000", "002", "003"]
