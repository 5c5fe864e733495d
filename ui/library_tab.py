"""The Library tab: uploads (with the replace-or-keep question), the article table with its
search, order and pages, one article with its outlet and date corrections and removal, and the
outlets. What it shows comes from ui.library; the chat tab's outlet choices and examples follow.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gradio as gr

from index.build import IndexReport
from index.documents import Article
from index.errors import NewsqaError
from index.metadata import describe_date, full_date
from ui import chat_tab, library, render
from ui.chat_tab import ChatTab
from ui.live import LiveIndex, disk_refusal


@dataclass
class LibraryTab:
    """What the page refreshes when the library changes (a page load, the live timer): `views`,
    with `refresh(listing)` giving their values for the table's search, order and page."""

    listing: gr.State
    views: list[Any]
    refresh: Callable[[library.Listing], tuple[Any, ...]]
    feeds_table: gr.Dataframe  # refreshed on every tick: a feed can fail with nothing indexed
    feed_rows: Callable[[], list[list[Any]]]


def upload_report(report: IndexReport, articles: Mapping[str, Article]) -> str:
    """What became of each uploaded file, in the app's words, as HTML."""
    lines = []
    done = report.added + report.updated
    if done:
        passages = report.chunks_embedded
        lines.append(
            f"Indexed {len(done)} article{'s' * (len(done) != 1)} "
            f"({passages} passage{'s' * (passages != 1)}): " + titles(done, articles)
        )
    if report.unchanged:
        lines.append("Already in the library, unchanged: " + titles(report.unchanged, articles))
    lines.extend(f"Rejected {Path(s.path).name}: {s.reason}" for s in report.skipped)
    if not lines and not report.conflicts:
        lines.append("Nothing to index.")
    return "<br>".join(render.escape(line) for line in lines)


def titles(doc_ids: list[str], articles: Mapping[str, Article], most: int = 5) -> str:
    """The first few articles' headlines, and how many more: a feed of hundreds is one line."""
    named = [f"“{articles[d].title or d}”" for d in doc_ids if d in articles]
    more = len(named) - most
    return ", ".join(named[:most]) + (f" and {more} more" if more > 0 else "")


def replace_question(report: IndexReport, articles: Mapping[str, Article]) -> str:
    """Asks before an upload replaces articles already in the library."""
    items = []
    for conflict in report.conflicts:
        old = articles.get(conflict.doc_id)
        held = (
            f"“{old.title or conflict.doc_id}” ({old.source or 'outlet unknown'}, "
            f"{describe_date(old.published)})"
            if old
            else conflict.doc_id
        )
        items.append(
            f"<li>{render.escape(Path(conflict.path).name)} would replace "
            f"{render.escape(held)}</li>"
        )
    return (
        "<p><strong>Already in the library.</strong> Replace the indexed "
        f"article{'s' * (len(items) != 1)} with the new upload?</p><ul>{''.join(items)}</ul>"
    )


def forget_cached(paths: list[Path]) -> None:
    """Deletes Gradio's cached copies of uploaded files once newsqa has its own (or refused
    them): each sits alone in a folder of Gradio's upload cache, which goes too when empty."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
            path.parent.rmdir()


def safe_upload_name(name: str) -> str:
    """The file's own name only: no folders, no '..', nothing but ordinary characters."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\-]+", "_", base).strip("._") or "upload"
    return cleaned[:120]


def build(live: LiveIndex, chat: ChatTab) -> LibraryTab:
    """The library tab's components and events, inside the caller's `gr.Tab`."""

    def table_views(listing: library.Listing) -> tuple[Any, ...]:
        """One page of the article table, the line saying which, and the buttons to the pages
        before and after it (one value for each of `table_outputs`)."""
        page = library.article_page(live.pipeline.index, listing)
        return (
            page.listing,
            page.rows,
            page.line,
            gr.update(interactive=page.listing.page > 0),
            gr.update(interactive=page.listing.page < page.pages - 1),
        )

    def library_views(listing: library.Listing) -> tuple[Any, ...]:
        """The Library tab's summary and tables, and the chat's outlet choices and example
        questions, as they now are (one value for each of `views`)."""
        index = live.pipeline.index
        return (
            library.summary(index),
            *table_views(listing),
            library.outlet_rows(index),
            *chat_tab.follow_library(index),
        )

    def upload(
        files: list[Any] | None,
        listing: library.Listing,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        if not files:
            # The conflict question's four outputs, the file box, the library views.
            return (gr.skip(),) * 4 + (None,) + (gr.skip(),) * len(views)
        folder = live.uploads_dir / uuid.uuid4().hex[:12]
        cached = [Path(item if isinstance(item, str) else item.name) for item in files]
        saved = []
        try:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                for item, source in zip(files, cached, strict=True):
                    name = safe_upload_name(getattr(item, "orig_name", None) or source.name)
                    shutil.copyfile(source, folder / name)
                    saved.append(folder / name)
            except OSError as error:
                raise disk_refusal(error, "saving an upload") from None
            # The loader rejects what it can't read (type, encoding, size, shape) and says why.
            report = live.add_files(saved, progress)
        except NewsqaError as error:
            live.forget_uploads(saved)
            return (
                render.escape(str(error)),
                gr.skip(),
                gr.skip(),
                [],
                None,
                *library_views(listing),
            )
        finally:
            forget_cached(cached)
        articles = live.pipeline.index.articles
        asking = bool(report.conflicts)
        return (
            upload_report(report, articles),
            gr.update(visible=asking),
            replace_question(report, articles) if asking else "",
            [c.path for c in report.conflicts],
            None,
            *library_views(listing),
        )

    def replace_uploads(
        pending: list[str],
        listing: library.Listing,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        """The held-back uploads take their articles' places."""
        try:
            report = live.add_files([Path(p) for p in pending or []], progress, replace=True)
        except NewsqaError as error:
            return (
                render.escape(str(error)),
                gr.skip(),
                gr.skip(),
                pending,
                *library_views(listing),
            )
        return (
            upload_report(report, live.pipeline.index.articles), gr.update(visible=False), "", [],
            *library_views(listing),
        )  # fmt: skip

    def keep_library(pending: list[str], listing: library.Listing) -> tuple[Any, ...]:
        """The held-back uploads are dropped; the library stays as it was."""
        live.forget_uploads([Path(p) for p in pending or []])
        return (
            "Kept the articles already in the library.", gr.update(visible=False), "", [],
            *library_views(listing),
        )  # fmt: skip

    def open_article(event: gr.SelectData) -> tuple[Any, ...]:
        row = event.row_value or []
        return shown_article(str(row[library.ID_COLUMN]) if row else None, "")

    def shown_article(doc_id: str | None, notice: str) -> tuple[Any, ...]:
        """The chosen article, its correction fields, and the actions on it."""
        index = live.pipeline.index
        article = index.articles.get(doc_id or "")
        found = article is not None
        corrected = found and doc_id in index.corrections
        full_day = full_date(article.published) if article else None
        return (
            doc_id if found else None,
            library.article_view(article, corrected),
            gr.update(value=(article.source or "") if article else "", interactive=found),
            gr.update(value=full_day.isoformat() if full_day else "", interactive=found),
            gr.update(visible=found),
            gr.update(visible=bool(corrected)),
            gr.update(visible=found),
            gr.update(visible=False),
            notice,
        )

    def save_correction(
        doc_id: str | None, outlet: str, day: str, listing: library.Listing
    ) -> tuple[Any, ...]:
        return change_article(doc_id, {"source": outlet, "published": day}, False, listing)

    def undo_correction(doc_id: str | None, listing: library.Listing) -> tuple[Any, ...]:
        return change_article(doc_id, {}, True, listing)

    def change_article(
        doc_id: str | None, values: dict[str, str | None], reset: bool, listing: library.Listing
    ) -> tuple[Any, ...]:
        if not doc_id:
            return (*shown_article(None, "Choose an article first."), *library_views(listing))
        try:
            article = live.correct(doc_id, values, reset)
        except NewsqaError as error:
            shown = shown_article(doc_id, render.escape(str(error)))
            return (*shown[:2], gr.skip(), gr.skip(), *shown[4:], *library_views(listing))
        notice = f"Saved: {article.source or 'outlet unknown'}, {describe_date(article.published)}."
        return (*shown_article(doc_id, render.escape(notice)), *library_views(listing))

    def ask_to_remove(doc_id: str | None) -> tuple[Any, ...]:
        article = live.pipeline.index.articles.get(doc_id or "")
        if article is None:
            return gr.update(visible=False), ""
        title = article.title or article.doc_id
        return (
            gr.update(visible=True),
            f"<p>Remove “{render.escape(title)}” from the library? Questions will no longer "
            "find it.</p>",
        )

    def remove_article(doc_id: str | None, listing: library.Listing) -> tuple[Any, ...]:
        try:
            article = live.remove(doc_id or "")
        except NewsqaError as error:
            return (*shown_article(doc_id, render.escape(str(error))), *library_views(listing))
        notice = f"Removed “{article.title or article.doc_id}” from the library."
        return (*shown_article(None, render.escape(notice)), *library_views(listing))

    def feed_rows() -> list[list[Any]]:
        return library.feed_rows(live.feeds())

    def follow_feed(url: str) -> tuple[Any, ...]:
        try:
            feed, added = live.follow(url or "")
        except NewsqaError as error:
            return render.escape(str(error)), gr.skip(), feed_rows()
        said = (
            "Following it: its entries are read now, and appear in the library as they are indexed."
            if added
            else "Already following it."
        )
        return f"{render.escape(feed.url)}: {said}", "", feed_rows()

    def unfollow_feed(url: str) -> tuple[Any, ...]:
        try:
            feed = live.unfollow(url or "")
        except NewsqaError as error:
            return render.escape(str(error)), gr.skip(), feed_rows()
        notice = f"No longer following {feed.url}; the articles it brought in stay."
        return render.escape(notice), "", feed_rows()

    def choose_feed(event: gr.SelectData) -> str:
        row = event.row_value or []
        return str(row[library.FEED_ADDRESS_COLUMN]) if row else ""

    gr.Markdown("### Add articles")
    # No file_types filter: the browser would drop other files silently, while the
    # server rejects them with a reason the user can read.
    files = gr.File(
        file_count="multiple", label="Upload .txt .md .html .json .jsonl",
        elem_id="nq-upload", height=120,
    )  # fmt: skip
    upload_status = gr.HTML(elem_id="nq-upload-status")
    pending = gr.State([])  # uploads held back until the user says replace or keep
    with gr.Column(visible=False, elem_id="nq-replace", elem_classes=["nq-confirm"]) as replace_box:
        replace_text = gr.HTML()
        with gr.Row():
            replace_yes = gr.Button(
                "Replace", variant="primary", size="sm", elem_id="nq-replace-yes"
            )
            replace_no = gr.Button("Keep the old one", size="sm", elem_id="nq-replace-no")
    gr.Markdown("### Follow a feed")
    with gr.Row(equal_height=True):
        feed_url = gr.Textbox(
            placeholder="https://example.org/news/rss.xml (RSS or Atom)", show_label=False,
            max_lines=1, elem_id="nq-feed-url", scale=4,
        )  # fmt: skip
        follow_button = gr.Button(
            "Follow", variant="primary", size="sm", scale=0, min_width=100, elem_id="nq-follow"
        )
        unfollow_button = gr.Button(
            "Stop following", size="sm", scale=0, min_width=140, elem_id="nq-unfollow"
        )
    feed_status = gr.HTML(elem_id="nq-feed-status")
    feeds_table = gr.Dataframe(
        headers=library.FEED_COLUMNS, datatype=["str", "str", "str", "str", "number", "str"],
        interactive=False, wrap=True, elem_id="nq-feeds-table",
        column_widths=["18%", "24%", "10%", "13%", "8%", "27%"],
        label="Feeds are polled every few minutes; click a row to choose it",
    )  # fmt: skip
    gr.Markdown("### Articles in the library")
    library_summary = gr.HTML(elem_id="nq-library-summary")
    library_listing = gr.State(library.Listing())  # the table's search, order and page
    with gr.Row(equal_height=True):
        library_search = gr.Textbox(
            placeholder="Search by headline, outlet, date or id", show_label=False,
            max_lines=1, elem_id="nq-library-search", scale=4,
        )  # fmt: skip
        library_order = gr.Dropdown(
            list(library.ORDERS), value=library.NEWEST_FIRST, show_label=False,
            elem_id="nq-library-order", scale=1, min_width=150,
        )  # fmt: skip
    # One line a row, cut short where long (web-address ids would wrap to five):
    # the whole article opens below on a click.
    library_table = gr.Dataframe(
        headers=library.ARTICLE_COLUMNS, datatype=["str", "str", "str", "str", "number"],
        interactive=False, wrap=False, max_height=620, elem_id="nq-library-table",
        column_widths=["10%", "15%", "46%", "20%", "9%"],
        label="Click a row to open the article",
    )  # fmt: skip
    with gr.Row(elem_id="nq-library-pages", equal_height=True):
        page_line = gr.HTML(elem_id="nq-page-line")
        previous_page = gr.Button(
            "‹ Previous", size="sm", min_width=100, scale=0, elem_id="nq-page-previous"
        )
        next_page = gr.Button("Next ›", size="sm", min_width=100, scale=0, elem_id="nq-page-next")
    chosen = gr.State(None)  # the open article's id
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            article_html = gr.HTML(library.article_view(None), elem_id="nq-article")
        with gr.Column(scale=2):
            fix_outlet = gr.Textbox(
                label="Outlet", max_lines=1, interactive=False, elem_id="nq-fix-outlet"
            )
            fix_date = gr.Textbox(
                label="Published on (YYYY-MM-DD)", max_lines=1, interactive=False,
                elem_id="nq-fix-date",
            )  # fmt: skip
            with gr.Row():
                fix_save = gr.Button(
                    "Save outlet and date", size="sm", visible=False,
                    elem_id="nq-fix-save",
                )  # fmt: skip
                fix_undo = gr.Button(
                    "Use the file's own",
                    size="sm",
                    visible=False,
                    elem_id="nq-fix-undo",
                )
            remove = gr.Button(
                "Remove from library", size="sm", variant="stop", visible=False,
                elem_id="nq-remove",
            )  # fmt: skip
            with gr.Column(
                visible=False, elem_id="nq-remove-confirm", elem_classes=["nq-confirm"]
            ) as remove_box:
                remove_text = gr.HTML()
                with gr.Row():
                    remove_yes = gr.Button(
                        "Remove", variant="stop", size="sm", elem_id="nq-remove-yes"
                    )
                    remove_no = gr.Button("Cancel", size="sm", elem_id="nq-remove-no")
            library_status = gr.HTML(elem_id="nq-library-status")
    gr.Markdown("### Outlets")
    outlet_table = gr.Dataframe(
        headers=library.OUTLET_COLUMNS,
        datatype=["str", "number", "str", "str", "number"], interactive=False,
        elem_id="nq-outlet-table",
    )  # fmt: skip
    table_outputs = [library_listing, library_table, page_line, previous_page, next_page]
    views = [library_summary, *table_outputs, outlet_table, *chat.library_outputs]
    conflict_outputs = [upload_status, replace_box, replace_text, pending]
    files.upload(
        upload, [files, library_listing], [*conflict_outputs, files, *views],
        api_visibility="private",
    )  # fmt: skip
    replace_yes.click(
        replace_uploads, [pending, library_listing], [upload_status, replace_box, replace_text,
        pending, *views], api_visibility="private",
    )  # fmt: skip
    replace_no.click(
        keep_library, [pending, library_listing], [upload_status, replace_box, replace_text,
        pending, *views], api_visibility="private",
    )  # fmt: skip
    # A new search or order starts at the first page; every other change keeps the page.
    library_search.change(
        lambda search, shown: table_views(replace(shown, search=search or "", page=0)),
        [library_search, library_listing], table_outputs, api_visibility="private",
    )  # fmt: skip
    library_order.change(
        lambda order, shown: table_views(replace(shown, order=order, page=0)),
        [library_order, library_listing], table_outputs, api_visibility="private",
    )  # fmt: skip
    previous_page.click(
        lambda shown: table_views(replace(shown, page=shown.page - 1)), library_listing,
        table_outputs, api_visibility="private",
    )  # fmt: skip
    next_page.click(
        lambda shown: table_views(replace(shown, page=shown.page + 1)), library_listing,
        table_outputs, api_visibility="private",
    )  # fmt: skip
    article_outputs = [
        chosen, article_html, fix_outlet, fix_date, fix_save, fix_undo, remove, remove_box,
        library_status,
    ]  # fmt: skip
    library_table.select(open_article, None, article_outputs, api_visibility="private")
    fix_save.click(
        save_correction, [chosen, fix_outlet, fix_date, library_listing],
        [*article_outputs, *views], api_visibility="private",
    )  # fmt: skip
    fix_undo.click(
        undo_correction, [chosen, library_listing], [*article_outputs, *views],
        api_visibility="private",
    )  # fmt: skip
    remove.click(ask_to_remove, chosen, [remove_box, remove_text], api_visibility="private")
    remove_no.click(lambda: gr.update(visible=False), None, remove_box, api_visibility="private")
    remove_yes.click(
        remove_article, [chosen, library_listing], [*article_outputs, *views],
        api_visibility="private",
    )  # fmt: skip
    feed_outputs = [feed_status, feed_url, feeds_table]
    follow_button.click(follow_feed, feed_url, feed_outputs, api_visibility="private")
    feed_url.submit(follow_feed, feed_url, feed_outputs, api_visibility="private")
    unfollow_button.click(unfollow_feed, feed_url, feed_outputs, api_visibility="private")
    feeds_table.select(choose_feed, None, feed_url, api_visibility="private")
    return LibraryTab(library_listing, views, library_views, feeds_table, feed_rows)
