"""The Gradio app: the chat tab (ui.chat_tab) and the library tab (ui.library_tab) on one page,
over one LiveIndex (ui.live) shared by every request; `serve` starts it.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from index.errors import NewsqaError
from index.settings import Settings
from index.watch import FolderWatcher
from ui import chat_tab, library, library_tab, render, watching_tab
from ui.guard import RequestGuard
from ui.live import LiveIndex

CSS = (Path(__file__).parent / "style.css").read_text(encoding="utf-8")
HEAD = (Path(__file__).parent / "head.html").read_text(encoding="utf-8")
LIVE_STATUS_SECONDS = 2.0  # how often an open page looks for a newer library
# Gradio keeps a copy of every upload and export in its cache. An upload's copy is deleted as
# soon as it is indexed or refused; every ten minutes whatever else is older than an hour goes
# (and all of it when the server starts).
CACHE_SWEEP = (600, 3600)


def app_theme() -> gr.themes.Base:
    """Gradio's default look, with bold text in fonts that have every letter.

    The default theme serves weight 600 of Source Sans Pro and IBM Plex Mono from files Gradio
    ships as subsets (55 and 75 glyphs, Basic Latin only A and B): bold A and B came from them
    and every other character from a system font, so "Ask" read "ᴀsk". The full 700 files
    shipped beside them serve bold text instead (CSS draws 600 with the 700 face);
    tests/e2e/test_fonts.py checks every letter and digit in both weights.
    """
    return gr.themes.Default(
        font=(gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)),
              "ui-sans-serif", "system-ui", "sans-serif"),
        font_mono=(gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)),
                   "ui-monospace", "Consolas", "monospace"),
    )  # fmt: skip


class PortInUseError(NewsqaError):
    pass


def build_app(live: LiveIndex) -> gr.Blocks:
    def ask_api(question: str) -> dict[str, Any]:
        """Answers one question; returns the Answer as JSON (question, answer, citations, ...)."""
        try:
            return live.pipeline.ask(question).to_json()
        except NewsqaError as error:
            raise gr.Error(str(error)) from None

    # No usage analytics: the app is meant to run offline and to phone nowhere.
    with gr.Blocks(
        title="newsqa: answers you can check", analytics_enabled=False, delete_cache=CACHE_SWEEP
    ) as app:
        gr.HTML(
            '<div class="nq-title"><h1>newsqa</h1><span>Ask about the indexed news articles. '
            "Every claim links to the passage it quotes.</span></div>"
        )
        # How many articles, and when they last changed; a live folder's additions appear
        # here, in the Library and in the examples within a few seconds.
        live_status = gr.HTML(f'<p class="nq-live">{live.status()}</p>', elem_id="nq-live")
        seen_version = gr.State(live.updated_at)
        with gr.Tabs(elem_id="nq-tabs"):
            with gr.Tab("Chat", id="chat", elem_id="nq-chat-tab"):
                chat = chat_tab.build(live)
            with gr.Tab("Library", id="library", elem_id="nq-library-tab"):
                shelf = library_tab.build(live, chat)
            with gr.Tab("Watching", id="watching", elem_id="nq-watching-tab"):
                watching = watching_tab.build(live)
        # A page opened after an upload shows the library as it is now, not as it was at start.
        app.load(shelf.refresh, shelf.listing, shelf.views, api_visibility="private")
        app.load(shelf.feed_rows, None, shelf.feeds_table, api_visibility="private")
        app.load(watching.rows, None, watching.table, api_visibility="private")
        watches_seen = gr.State(live.watches_changed_at)

        def tick(
            seen: dt.datetime | None, listing: library.Listing, checked: dt.datetime | None
        ) -> tuple[Any, ...]:
            status = f'<p class="nq-live">{render.escape(live.status())}</p>'
            feeds = shelf.feed_rows() if live.following else gr.skip()
            # The watched questions were asked again (articles arrived): their rows and badges.
            watches = (
                (watching.rows(), live.watches_changed_at)
                if checked != live.watches_changed_at
                else (gr.skip(), gr.skip())
            )
            if seen == live.updated_at:
                return (status, feeds, *watches, gr.skip(), *(gr.skip(),) * len(shelf.views))
            return (status, feeds, *watches, live.updated_at, *shelf.refresh(listing))

        gr.Timer(LIVE_STATUS_SECONDS).tick(
            tick, [seen_version, shelf.listing, watches_seen],
            [live_status, shelf.feeds_table, watching.table, watches_seen, seen_version,
             *shelf.views],
            api_visibility="private", show_progress="hidden",
        )  # fmt: skip
        gr.api(ask_api, api_name="ask")  # type: ignore[attr-defined]
    return app  # type: ignore[no-any-return]


def check_port(host: str, port: int) -> None:
    if not port_is_free(host, port):
        raise PortInUseError(
            f"port {port} on {host} is already in use. Stop the other program or choose another "
            "port with --port (or NEWSQA_UI__PORT)."
        )


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def serve(
    settings: Settings,
    prevent_thread_lock: bool = False,
    watch: Path | None = None,
    follow: bool = False,
) -> gr.Blocks:
    """Serves the app on the existing index (`newsqa serve` builds one from the seeds first);
    with `watch`, files added to, changed in or removed from that folder are indexed as they
    arrive, while questions go on being answered; with `follow`, the followed feeds are polled
    on their interval and their new entries indexed (index.feeds)."""
    host, port = settings.ui.host, settings.ui.port
    check_port(host, port)
    auth = None
    if settings.auth:
        user, _, password = settings.auth.partition(":")
        if not user or not password:
            raise NewsqaError("NEWSQA_AUTH must look like user:password.")
        auth = (user, password)
    live = LiveIndex(settings)
    threading.Thread(target=live.follow_other_writers, name="newsqa-follow", daemon=True).start()
    if watch is not None:
        live.watching = watch
        watcher = FolderWatcher(watch, live.index_folder_changes)
        threading.Thread(target=watcher.run, name="newsqa-watch", daemon=True).start()
    if follow:
        live.start_following()
    app = build_app(live)
    app.queue(default_concurrency_limit=4)
    app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        # Refuses changes sent by other sites' pages, and slows down repeated wrong passwords.
        app_kwargs={"middleware": [Middleware(RequestGuard)]},
        # Larger files are refused before they are written to the server's disk.
        max_file_size=int(settings.index.max_file_mb * 1024 * 1024),
        prevent_thread_lock=prevent_thread_lock,
        theme=app_theme(),
        css=CSS,
        head=HEAD,
        footer_links=["api"],
        show_error=True,
        quiet=False,
    )
    return app
