"""The Watching tab: the watched questions (qa.watches), a badge on those whose answer changed
since they were last opened, and one opened: its answer before and after the change, side by
side, with the new report's outlet, date and quote."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from index.errors import NewsqaError
from index.metadata import describe_date
from qa.watches import Change, Seen, Watch, WatchBook
from ui import render
from ui.live import LiveIndex

WATCH_COLUMNS = ["", "Question", "Answer now", "Last change", "Id"]
ID_COLUMN = WATCH_COLUMNS.index("Id")
BADGE = "● changed"


@dataclass
class WatchingTab:
    table: gr.Dataframe
    rows: Callable[[], list[list[Any]]]


def watch_rows(watches: list[Watch]) -> list[list[Any]]:
    """One row a watch, a badge on those with changes not yet opened."""
    rows = []
    for watch in watches:
        unopened = len(watch.unopened)
        badge = f"{BADGE} ({unopened})" if unopened > 1 else (BADGE if unopened else "")
        last = watch.changes[-1] if watch.changes else None
        when = describe_date(last.at[:10]) if last else "none yet"
        now = watch.last.lead
        if watch.last.doc_id and not watch.last.abstained:
            now += f" ({watch.last.byline})"
        rows.append([badge, watch.question, now, when, watch.id])
    return rows


def seen_html(seen: Seen, heading: str) -> str:
    """One side of the comparison: the answer as it was given, and the report it led with."""
    paragraphs = "".join(
        f"<p>{render.escape(part)}</p>" for part in seen.answer.split("\n\n") if part.strip()
    )
    report = ""
    if seen.doc_id and not seen.abstained:
        report = (
            f'<p class="nq-watch-report">{render.escape(seen.byline)}: '
            f"“{render.escape(seen.title or seen.doc_id)}”</p>"
        )
    return (
        f'<div class="nq-watch-side"><h4>{render.escape(heading)}</h4>'
        f'<p class="nq-watch-lead"><strong>{render.escape(seen.lead)}</strong></p>'
        f"{report}{paragraphs}</div>"
    )


def change_html(watch: Watch, change: Change | None) -> str:
    """The opened watch: its latest change side by side, or its answer now."""
    question = f"<h3>{render.escape(watch.question)}</h3>"
    if change is None:
        return (
            f'<div id="nq-watch-open">{question}<p>No change since it was watched.</p>'
            f"{seen_html(watch.last, 'Answer now')}</div>"
        )
    asked = describe_date(change.at[:10])
    return (
        f'<div id="nq-watch-open">{question}'
        f'<p class="nq-watch-summary">{render.escape(change.summary)} (found {asked})</p>'
        '<div class="nq-watch-sides">'
        f"{seen_html(change.before, 'Before')}{seen_html(change.after, 'Now')}"
        "</div></div>"
    )


def build(live: LiveIndex) -> WatchingTab:
    """The Watching tab's components and events, inside the caller's `gr.Tab`."""

    def book() -> WatchBook:
        return WatchBook(live.settings.index_dir)

    def rows() -> list[list[Any]]:
        try:
            return watch_rows(book().watches())
        except NewsqaError as error:
            gr.Warning(str(error))
            return []

    def open_watch(event: gr.SelectData) -> tuple[Any, ...]:
        row = event.row_value or []
        if not row:
            return gr.skip(), gr.skip(), gr.skip()
        try:
            watch = book().find(str(row[ID_COLUMN]))
            book().mark_opened(watch.id)
        except NewsqaError as error:
            return render.escape(str(error)), None, rows()
        latest = watch.changes[-1] if watch.changes else None
        return change_html(watch, latest), watch.id, rows()

    def stop_watching(watch_id: str | None) -> tuple[Any, ...]:
        if not watch_id:
            return "<p>Open a watched question first.</p>", None, rows()
        try:
            watch = book().remove(watch_id)
        except NewsqaError as error:
            return render.escape(str(error)), None, rows()
        return f"<p>No longer watching “{render.escape(watch.question)}”.</p>", None, rows()

    def check_now() -> list[list[Any]]:
        live.check_watches()
        return rows()

    gr.Markdown(
        "Questions you watch are asked again whenever articles arrive (uploads, the live "
        "folder, feeds). A badge marks those whose answer changed; click one to see the answer "
        "before and after."
    )
    table = gr.Dataframe(
        headers=WATCH_COLUMNS, datatype=["str", "str", "str", "str", "str"],
        interactive=False, wrap=True, elem_id="nq-watch-table",
        column_widths=["12%", "33%", "35%", "12%", "8%"],
        label="Click a question to open it",
    )  # fmt: skip
    with gr.Row():
        check = gr.Button("Check all now", size="sm", elem_id="nq-watch-check")
        stop = gr.Button("Stop watching it", size="sm", elem_id="nq-watch-stop")
    opened = gr.State(None)
    shown = gr.HTML(elem_id="nq-watch-shown")
    table.select(open_watch, None, [shown, opened, table], api_visibility="private")
    stop.click(stop_watching, opened, [shown, opened, table], api_visibility="private")
    check.click(check_now, None, table, api_visibility="private")
    return WatchingTab(table, rows)
