"""The Library tab's views of the index: the article table, outlet coverage, one article.

Pure functions from the stored index to table rows and HTML; the app wires them to the page.
No file path is shown: uploads live in a folder the user never chose, and a web user can do
nothing with a server path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from index.documents import Article
from index.feeds import Feed
from index.metadata import byline, describe_date, full_date, outlet_coverage
from index.stored import StoredIndex
from ui.render import escape, web_address

ARTICLE_COLUMNS = ["Date", "Outlet", "Headline", "Id", "Passages"]
OUTLET_COLUMNS = ["Outlet", "Articles", "First date", "Last date", "No full date"]
ID_COLUMN = ARTICLE_COLUMNS.index("Id")
FEED_COLUMNS = ["Feed", "Address", "Status", "Last good poll", "Articles", "Last error or note"]
FEED_ADDRESS_COLUMN = FEED_COLUMNS.index("Address")
# Gradio cuts an example's text at 60 characters; a headline is shortened at a word before that.
EXAMPLE_CHARS = 60
# A page of the article table: enough to scan, few enough that a 10,000-article library sends
# the browser a page, not the whole index, at every keystroke in the search box.
PAGE_ROWS = 100
NEWEST_FIRST = "Newest first"


def newest_first_key(row: list[Any]) -> tuple[Any, ...]:
    # Reversed: full dates newest first; days without a year, then undated, after every full one.
    return (row[0][4:5] == "-", row[0], row[3])


# The article table's orders, by what the menu says. Sorting by a column's name in the table
# sorts only the page on screen; these sort the whole library.
ORDERS: dict[str, tuple[Callable[[list[Any]], Any], bool]] = {
    NEWEST_FIRST: (newest_first_key, True),
    # Full dates oldest first; then days without a year; undated articles last here too.
    "Oldest first": (lambda row: (row[0][4:5] != "-", not row[0], row[0], row[3]), False),
    "Outlet": (lambda row: (not row[1], row[1].casefold(), row[0]), False),
    "Headline": (lambda row: (row[2].casefold(), row[3]), False),
}


@dataclass(frozen=True)
class Listing:
    """What the article table shows: the articles matching `search`, in `order`, one page."""

    search: str = ""
    order: str = NEWEST_FIRST
    page: int = 0  # from 0


@dataclass(frozen=True)
class ArticlePage:
    listing: Listing  # its page number kept within the pages there are
    rows: list[list[Any]]
    pages: int
    line: str  # which articles these are, e.g. "101–200 of 610 articles, newest first"


def table_date(published: str | None) -> str:
    """Sortable as text: full dates as YYYY-MM-DD; a day without a year after every full one."""
    day = full_date(published)
    if day is not None:
        return day.isoformat()
    if published and published.startswith("--"):
        month, day_of_month = int(published[2:4]), int(published[5:7])
        return f"{day_of_month} {dt.date(2000, month, 1):%b}, no year"
    return ""


def article_rows(
    index: StoredIndex, search: str = "", order: str = NEWEST_FIRST
) -> list[list[Any]]:
    """One row per article, in `order`, kept when every word of `search` is in its date,
    outlet, headline or id."""
    words = search.casefold().split()
    passages = index.passage_counts()
    rows = []
    for article in index.articles.values():
        row: list[Any] = [
            table_date(article.published),
            article.source or "",
            article.title or "(no headline)",
            article.doc_id,
            passages.get(article.doc_id, 0),
        ]
        haystack = " ".join(str(cell) for cell in row[:4]).casefold()
        if all(word in haystack for word in words):
            rows.append(row)
    key, reverse = ORDERS.get(order, ORDERS[NEWEST_FIRST])
    rows.sort(key=key, reverse=reverse)
    return rows


def article_page(index: StoredIndex, listing: Listing) -> ArticlePage:
    """One page of the article table and the line that says which articles it holds."""
    rows = article_rows(index, listing.search, listing.order)
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    page = min(max(listing.page, 0), pages - 1)
    shown = rows[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
    search = listing.search.strip()
    matching = f" matching “{search}”" if search else ""
    if not rows:
        line = f"No article{matching}." if search else "No articles yet."
    elif pages == 1:
        line = f"{len(rows)} article{'s' * (len(rows) != 1)}{matching}"
    else:
        first = page * PAGE_ROWS + 1
        line = f"{first}–{first + len(shown) - 1} of {len(rows)} articles{matching}"
    if rows:
        order = listing.order if listing.order in ORDERS else NEWEST_FIRST
        line += f", {order.casefold()}." if "first" in order else f", by {order.casefold()}."
    return ArticlePage(
        Listing(search, listing.order, page), shown, pages,
        f'<p class="nq-page-line">{escape(line)}</p>',
    )  # fmt: skip


def example_questions(
    index: StoredIndex, seed_ids: frozenset[str], seed_questions: list[str], count: int = 5
) -> tuple[str, list[str], list[str]]:
    """What the chat offers to ask: a label, what each example shows, and the question each
    puts in the box. The seed questions while the seeds are what is indexed; otherwise the
    newest articles' headlines, each starting a question about its article."""
    if set(index.articles) == seed_ids:
        return "Example questions about the seed articles", seed_questions, seed_questions
    newest = [index.articles[row[ID_COLUMN]] for row in article_rows(index)]
    titled = [article for article in newest if article.title][:count]
    return (
        "Ask about the newest articles",
        [shorten(article.title or "", EXAMPLE_CHARS) for article in titled],
        [headline_question(article) for article in titled],
    )


def headline_question(article: Article) -> str:
    """A question that starts from one article's headline, naming its outlet when known."""
    if article.source:
        return f"What did {article.source} report in “{article.title}”?"
    return f"What does the report “{article.title}” say?"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def poll_time(stamp: str | None) -> str:
    """A poll's UTC time stamp as the server's local time, to the minute."""
    if not stamp:
        return "never"
    moment = dt.datetime.fromisoformat(stamp).astimezone()
    return f"{moment:%Y-%m-%d %H:%M}"


def feed_rows(feeds: list[Feed]) -> list[list[Any]]:
    """One row a followed feed: a failing one keeps its row, its error and its last good poll."""
    return [
        [
            feed.title or "(title not known yet)",
            feed.url,
            feed.status,
            poll_time(feed.last_good_poll_at),
            feed.entries_kept,
            feed.error or feed.note or "",
        ]
        for feed in feeds
    ]


def outlet_rows(index: StoredIndex) -> list[list[Any]]:
    return [
        [
            row["outlet"] or "(outlet unknown)",
            row["articles"],
            row["first"] or "",
            row["last"] or "",
            row["without_full_date"],
        ]
        for row in outlet_coverage(index.articles.values())
    ]


def summary(index: StoredIndex) -> str:
    """One line: how many articles, from how many outlets, over which days."""
    articles = list(index.articles.values())
    outlets = {a.source for a in articles if a.source}
    days = sorted(day for a in articles if (day := full_date(a.published)) is not None)
    line = f"{len(articles)} article{'s' * (len(articles) != 1)} from {len(outlets)} outlet" + (
        "s" * (len(outlets) != 1)
    )
    if days:
        line += f", published {describe_date(days[0].isoformat())} to "
        line += describe_date(days[-1].isoformat())
    undated = len(articles) - len(days)
    if undated:
        line += f"; {undated} without a full date"
    return f'<p class="nq-library-summary">{escape(line)}.</p>'


def article_view(article: Article | None, corrected: bool = False) -> str:
    """The whole article as the index holds it: headline, outlet, date, link and text."""
    if article is None:
        return '<p class="nq-hint">Choose an article in the table to read it here.</p>'
    known = byline(article.source, article.published)
    meta = [escape(known)] if known else []
    if article.author:
        meta.append(f"by {escape(article.author)}")
    address = web_address(article)
    if address:
        meta.append(
            f'<a href="{escape(address)}" target="_blank" rel="noopener noreferrer">'
            "open the original</a>"
        )
    note = '<p class="nq-hint">The outlet or date was corrected by hand.</p>' if corrected else ""
    return (
        f'<article class="nq-library-article" data-doc-id="{escape(article.doc_id)}">'
        f"<h3>{escape(article.title or '(no headline)')}</h3>"
        f'<p class="nq-meta">{" · ".join(meta)}</p>'
        f'<p class="nq-meta">Id: <code>{escape(article.doc_id)}</code></p>{note}'
        f'<div class="nq-article-text">{escape(article.text)}</div></article>'
    )
