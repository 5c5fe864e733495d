"""The Gradio chat app: renders what qa/ returns, nothing more.

One Pipeline (model and index) is loaded at start and shared by every request; an upload builds
the new index version on disk and then swaps in a freshly loaded Pipeline, so a question being
answered keeps the index it started with and never sees a half-updated one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr

from index.build import IndexBuilder, IndexReport
from index.documents import Article
from index.embed import Embedder
from index.errors import (
    IndexCorruptError,
    IndexLockedError,
    IndexMissingError,
    NewsqaError,
    UnknownDocumentError,
)
from index.metadata import describe_date, full_date
from index.settings import Settings
from index.store import open_store
from index.watch import FolderWatcher
from qa.llm import server_answers
from qa.pipeline import Pipeline, parse_day, parse_filters
from qa.results import Answer
from qa.session import ChatHistory
from ui import export, library, render

log = logging.getLogger(__name__)
Changed = TypeVar("Changed")
ROOT = Path(__file__).resolve().parent.parent
SEED_IDS = frozenset(path.stem for path in (ROOT / "seeds").glob("*.txt"))
EXAMPLES = [
    "What gifts did Putin and Kim exchange?",
    "Which ministers travelled with Putin to North Korea?",
    "How long did the negotiations at the cosmodrome last?",
    "What does North Korea need from Russia?",
    "When did Japan occupy the Korean peninsula?",
]
CSS = (Path(__file__).parent / "style.css").read_text(encoding="utf-8")
HEAD = (Path(__file__).parent / "head.html").read_text(encoding="utf-8")


class PortInUseError(NewsqaError):
    pass


@dataclass
class Conversation:
    """Per-browser-session state: the chat history and each turn's answer."""

    history: ChatHistory = field(default_factory=ChatHistory)
    turns: list[tuple[str, Answer]] = field(default_factory=list)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])  # names its export files


# While an answer streams or fails: "Search as written" and the take-away outputs stay as they
# were (the last answer's Markdown, both export files, the copy button).
UNCHANGED = (gr.skip(),) * 6
LIVE_STATUS_SECONDS = 2.0  # how often an open page looks for a newer library
FOLLOW_SECONDS = 5.0  # how often the server looks for changes made by other processes


def exports_dir() -> Path:
    return Path(tempfile.gettempdir()) / "newsqa-exports"


class LiveIndex:
    """The pipeline every request uses, swapped whole after each change to the index."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._store = open_store(settings)
        self._pipeline = Pipeline.load(settings, embedder)
        self._write_lock = threading.Lock()
        self.updated_at = dt.datetime.now()  # when the pipeline was last loaded
        self.watching: Path | None = None  # a live folder (`serve --watch`)
        self.indexing = False  # a change is being written now

    @property
    def pipeline(self) -> Pipeline:
        return self._pipeline

    @property
    def uploads_dir(self) -> Path:
        return self.settings.index_dir.resolve().parent / "uploads"

    def outlets(self) -> list[str]:
        return sorted({a.source for a in self._pipeline.index.articles.values() if a.source})

    def add_files(
        self, paths: list[Path], progress: Any = None, replace: bool = False
    ) -> IndexReport:
        """Indexes uploaded files. An article already indexed from another file is a conflict
        for the user to decide on, unless `replace`."""

        def report_progress(done: int, total: int) -> None:
            if progress is not None:
                progress(done / max(total, 1), desc=f"Embedding {done}/{total} chunks")

        def add(builder: IndexBuilder) -> IndexReport:
            return builder.run(paths, progress=report_progress, replace=replace)

        before = [Path(a.path) for a in self._pipeline.index.articles.values()]
        report = self._change(add)
        held_back = {c.path for c in report.conflicts}  # until the user decides
        self.forget_uploads([p for p in [*paths, *before] if str(p.resolve()) not in held_back])
        return report

    def index_folder_changes(self, files: list[Path]) -> IndexReport:
        """Indexes new or changed files of the live folder and drops articles whose files are
        gone (index.watch calls this as files settle)."""
        report = self._change(lambda builder: builder.run(files, prune=True))
        if report.changed:
            log.info(
                "live folder: %d added, %d updated, %d removed; %d articles",
                len(report.added), len(report.updated), len(report.removed),
                report.articles_total,
            )  # fmt: skip
        return report

    def status(self) -> str:
        """One line for the page: how many articles, when the library last changed, and
        whether a live folder is being followed."""
        count = len(self._pipeline.index.articles)
        when = self.updated_at
        shown = f"{when:%H:%M:%S}" if when.date() == dt.date.today() else f"{when:%d %b %Y %H:%M}"
        parts = [f"{count:,} article{'s' * (count != 1)}", f"updated {shown}"]
        if self.indexing:
            parts.append("indexing new files…")
        elif self.watching is not None:
            parts.append("new files in the live folder are added as they arrive")
        return " · ".join(parts)

    def remove(self, doc_id: str) -> Article:
        article = self._pipeline.index.articles.get(doc_id)
        self._change(lambda builder: builder.remove([doc_id]))
        assert article is not None  # the builder refuses unknown ids
        self.forget_uploads([Path(article.path)])
        return article

    def correct(self, doc_id: str, values: dict[str, str | None], reset: bool = False) -> Article:
        return self._change(lambda builder: builder.correct(doc_id, values, reset))

    def _change(self, change: Callable[[IndexBuilder], Changed]) -> Changed:
        """One change to the index under the write lock, then the new version swapped in. Errors
        come out in the app's words: the builder's name server paths and commands."""
        with self._write_lock:
            builder = IndexBuilder(self.settings, self._pipeline.embedder)
            self.indexing = True
            try:
                result = change(builder)
            except IndexLockedError:
                raise NewsqaError(
                    "Another program is changing the library right now. Try again in a minute."
                ) from None
            except UnknownDocumentError:
                raise NewsqaError("That article is no longer in the library.") from None
            except (IndexCorruptError, IndexMissingError) as error:
                log.error("%s", error)
                raise NewsqaError(
                    "The library could not be read on the server, so nothing was changed. The "
                    "server's log says how to rebuild it."
                ) from None
            finally:
                self.indexing = False
            if not isinstance(result, IndexReport) or result.saved:
                self._pipeline = Pipeline.load(self.settings, self._pipeline.embedder)
                self.updated_at = dt.datetime.now()
        return result

    def follow_other_writers(self) -> None:
        """Loads the index again when another process changed it (`newsqa index`, a feed
        indexer on another machine writing to the same Milvus). Runs on its own thread."""
        while True:
            time.sleep(FOLLOW_SECONDS)
            if not self._write_lock.acquire(blocking=False):
                continue  # this app is writing; it loads the result itself
            try:
                if self._store.changed_since(self._pipeline.index):
                    self._pipeline = Pipeline.load(self.settings, self._pipeline.embedder)
                    self.updated_at = dt.datetime.now()
                    log.info("the index was changed by another process: loaded it again")
            except NewsqaError as error:
                log.warning("could not check the index for changes: %s", error)
            finally:
                self._write_lock.release()

    def forget_uploads(self, paths: list[Path]) -> None:
        """Deletes uploaded files no indexed article comes from any more (rejected, replaced,
        removed, or copies of what was indexed). Files outside the uploads folder are the
        user's own and are never touched."""
        in_use = {Path(a.path) for a in self._pipeline.index.articles.values()}
        uploads = self.uploads_dir
        for path in paths:
            path = path.resolve()
            if uploads not in path.parents or path in in_use:
                continue
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only when empty


def upload_report(report: IndexReport, articles: dict[str, Article]) -> str:
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


def titles(doc_ids: list[str], articles: dict[str, Article], most: int = 5) -> str:
    """The first few articles' headlines, and how many more: a feed of hundreds is one line."""
    named = [f"“{articles[d].title or d}”" for d in doc_ids if d in articles]
    more = len(named) - most
    return ", ".join(named[:most]) + (f" and {more} more" if more > 0 else "")


def replace_question(report: IndexReport, articles: dict[str, Article]) -> str:
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


def safe_upload_name(name: str) -> str:
    """The file's own name only: no folders, no '..', nothing but ordinary characters."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\-]+", "_", base).strip("._") or "upload"
    return cleaned[:120]


def as_of_words(as_of: str | None) -> str:
    """ "Questions are read as of 3 December 2026", for the line under the question box."""
    try:
        day = describe_date((parse_day(as_of, "“Ask as of”") or dt.date.today()).isoformat())
    except NewsqaError:
        return "“Ask as of” in the settings below is not a date: use YYYY-MM-DD."
    return f"Questions are read as of **{day}** (to change it, open the settings below)."


def build_app(live: LiveIndex) -> gr.Blocks:
    settings = live.settings

    def respond(
        message: str,
        chat: list[dict[str, str]],
        state: Conversation | None,
        backend: str,
        k: float,
        outlets: list[str] | None,
        since: str | None,
        until: str | None,
        as_of: str | None,
    ) -> Iterator[tuple[Any, ...]]:
        options = (backend, k, outlets, since, until, as_of)
        yield from answer_turn(message, chat, state or Conversation(), options, as_written=False)

    def answer_turn(
        message: str,
        chat: list[dict[str, str]],
        state: Conversation,
        options: tuple[Any, ...],
        as_written: bool,
    ) -> Iterator[tuple[Any, ...]]:
        backend, k, outlets, since, until, as_of = options
        pipeline = live.pipeline  # one index for the whole answer, even if an upload lands
        # As written: searched alone, then remembered so later follow-ups can lean on it.
        history = ChatHistory() if as_written else state.history
        try:
            # Errors name the app's own fields, not the command line's options.
            filters = parse_filters(
                outlets, (since or "").strip() or None, (until or "").strip() or None,
                names=("“Published on or after”", "“Published on or before”"),
            )  # fmt: skip
            stream = pipeline.stream(
                message, history=history, top_k=int(k), filters=filters,
                backend="openai" if backend.startswith("LLM") else "extractive",
                as_of=parse_day(as_of, "“Ask as of”"),
            )  # fmt: skip
            chat = [*chat, {"role": "user", "content": render.user_message(message)}]
            answer: Answer | None = None
            partial = ""
            for item in stream:
                if isinstance(item, Answer):
                    answer = item
                    break
                partial += item
                pending = {"role": "assistant", "content": render.pending_message(partial)}
                yield [*chat, pending], gr.skip(), state, "", *UNCHANGED
        except NewsqaError as error:
            gr.Warning(str(error))
            yield gr.skip(), gr.skip(), state, message, *UNCHANGED
            return
        assert answer is not None
        if as_written:
            state.history.turns.extend(history.turns)
        state.turns.append((answer.question, answer))
        turn = len(state.turns) - 1
        chat = [*chat, {"role": "assistant", "content": render.answer_message(answer, turn)}]
        sources = render.source_cards(state.turns, pipeline.index.articles)
        rewritten = gr.update(visible=answer.query != answer.question)
        newest = answer.time.get("newest_article")
        # The index ends before the asked time: one click asks again as of its newest day.
        as_newest = (
            gr.update(visible=True, value=f"Ask again as of {describe_date(newest)}")
            if newest
            else gr.update(visible=False)
        )
        yield (
            chat, sources, state, "", rewritten, as_newest,
            *take_away(state, pipeline.index.articles),
        )  # fmt: skip

    def search_as_written(
        chat: list[dict[str, str]], state: Conversation | None, *options: Any
    ) -> Iterator[tuple[Any, ...]]:
        """Undoes the last follow-up rewrite: the last question again, searched alone."""
        if not state or not state.turns or len(chat) < 2:
            yield gr.skip(), gr.skip(), state, gr.skip(), gr.update(visible=False), *UNCHANGED[1:]
            return
        question, _ = state.turns.pop()
        state.history.turns.pop()
        yield from answer_turn(question, chat[:-2], state, options, as_written=True)

    def ask_as_of_newest(
        chat: list[dict[str, str]], state: Conversation | None, *options: Any
    ) -> Iterator[tuple[Any, ...]]:
        """The last question again, as of the newest article's day (the field shows it too)."""
        if not state or not state.turns or len(chat) < 2:
            yield gr.skip(), gr.skip(), state, gr.skip(), gr.skip(), *UNCHANGED[1:], gr.skip()
            return
        question, answer = state.turns.pop()
        state.history.turns.pop()
        newest = answer.time.get("newest_article")
        for update in answer_turn(question, chat[:-2], state, (*options[:5], newest), False):
            yield (*update, newest)

    def take_away(state: Conversation, articles: dict[str, Any]) -> tuple[Any, ...]:
        """The last answer as Markdown (for the copy button) and the conversation as files."""
        question, answer = state.turns[-1]
        folder = exports_dir() / state.id
        folder.mkdir(parents=True, exist_ok=True)
        as_markdown = folder / "newsqa-conversation.md"
        as_markdown.write_text(export.conversation_markdown(state.turns, articles), "utf-8")
        as_json = folder / "newsqa-conversation.json"
        as_json.write_text(export.conversation_json(state.turns), "utf-8")
        return (
            export.answer_markdown(question, answer, articles),
            gr.update(value=str(as_markdown), visible=True),
            gr.update(value=str(as_json), visible=True),
            gr.update(visible=True),
        )

    def clear() -> tuple[Any, ...]:
        hidden = gr.update(visible=False)
        return (
            [],
            render.source_cards([], {}),
            Conversation(),
            "",
            hidden,
            hidden,
            "",
            hidden,
            hidden,
            hidden,
        )

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
        label, shown, questions = library.example_questions(index, SEED_IDS, EXAMPLES)
        return (
            library.summary(index),
            *table_views(listing),
            library.outlet_rows(index),
            gr.update(choices=live.outlets()),
            gr.Dataset(samples=[[text] for text in shown], label=label, visible=bool(shown)),
            questions,
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
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for item in files:
            source = Path(item if isinstance(item, str) else item.name)
            target = folder / safe_upload_name(getattr(item, "orig_name", None) or source.name)
            shutil.copyfile(source, target)
            saved.append(target)
        # The loader rejects what it can't read (type, encoding, size, shape) and says why.
        try:
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

    def ask_api(question: str) -> dict[str, Any]:
        """Answers one question; returns the Answer as JSON (question, answer, citations, ...)."""
        try:
            return live.pipeline.ask(question).to_json()
        except NewsqaError as error:
            raise gr.Error(str(error)) from None

    # No usage analytics: the app is meant to run offline and to phone nowhere.
    with gr.Blocks(title="newsqa: answers you can check", analytics_enabled=False) as app:
        gr.HTML(
            '<div class="nq-title"><h1>newsqa</h1><span>Ask about the indexed news articles. '
            "Every claim links to the passage it quotes.</span></div>"
        )
        # How many articles, and when they last changed; a live folder's additions appear
        # here, in the Library and in the examples within a few seconds.
        live_status = gr.HTML(f'<p class="nq-live">{live.status()}</p>', elem_id="nq-live")
        seen_version = gr.State(live.updated_at)
        state = gr.State(None)
        # Made here so the chips beside the chat box can show them; placed under "Settings".
        outlets = gr.Dropdown(
            live.outlets(), multiselect=True, label="Only these outlets", render=False,
            elem_id="nq-outlets",
        )  # fmt: skip
        since = gr.Textbox(
            label="Published on or after (YYYY-MM-DD)", max_lines=1, render=False,
            elem_id="nq-since",
        )  # fmt: skip
        until = gr.Textbox(
            label="Published on or before (YYYY-MM-DD)", max_lines=1, render=False,
            elem_id="nq-until",
        )  # fmt: skip
        with gr.Tabs(elem_id="nq-tabs"):
            with gr.Tab("Chat", id="chat", elem_id="nq-chat-tab"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(
                            label="Chat", height=520, elem_id="nq-chat", sanitize_html=True,
                            render_markdown=False, feedback_options=None, group_consecutive_messages=False,
                        )  # fmt: skip
                        with gr.Row():
                            box = gr.Textbox(
                                placeholder="Ask a question about the articles…", show_label=False,
                                scale=5, max_lines=4, elem_id="nq-question", autofocus=True,
                            )  # fmt: skip
                            send = gr.Button("Ask", variant="primary", scale=1, elem_id="nq-send")

                        @gr.render(inputs=[outlets, since, until])  # type: ignore[untyped-decorator]
                        def filter_chips(
                            chosen: list[str] | None, since_day: str | None, until_day: str | None
                        ) -> None:
                            """Active filters as chips beside the chat box; a click removes one."""
                            chips: list[tuple[str, Any, Any]] = [
                                (f"Outlet: {name}", outlets, [o for o in chosen or [] if o != name])
                                for name in chosen or []
                            ]
                            since_day, until_day = (
                                (since_day or "").strip(),
                                (until_day or "").strip(),
                            )
                            if since_day:
                                chips.append((f"On or after {since_day}", since, ""))
                            if until_day:
                                chips.append((f"On or before {until_day}", until, ""))
                            if not chips:
                                return
                            with gr.Row(elem_id="nq-chips"):
                                for text, component, cleared in chips:
                                    chip = gr.Button(
                                        f"{text} ✕", size="sm", elem_classes=["nq-chip"],
                                        min_width=0, scale=0,
                                    )  # fmt: skip
                                    chip.click(lambda value=cleared: value, None, component)

                        # Questions that fit what is indexed (library_views fills them in).
                        examples = gr.Dataset(
                            components=[box], samples=[[q] for q in EXAMPLES], type="index",
                            label="Example questions", elem_id="nq-examples",
                        )  # fmt: skip
                        example_questions = gr.State(EXAMPLES)
                        examples.click(
                            lambda chosen, questions: questions[chosen],
                            [examples, example_questions], box, api_visibility="private",
                        )  # fmt: skip
                        # The day "this week" is read from, where the question is asked (the
                        # field itself sits under Settings and filters).
                        as_of_line = gr.Markdown(
                            lambda: as_of_words(dt.date.today().isoformat()),
                            elem_id="nq-as-of-line",
                        )
                        with gr.Row():
                            undo = gr.Button(
                                "Search as written",
                                size="sm",
                                visible=False,
                                elem_id="nq-as-written",
                            )
                            as_newest = gr.Button(
                                "Ask again as of the newest article",
                                size="sm",
                                visible=False,
                                elem_id="nq-as-newest",
                            )
                            copy = gr.Button(
                                "Copy answer as Markdown",
                                size="sm",
                                visible=False,
                                elem_id="nq-copy-md",
                            )
                            export_md = gr.DownloadButton(
                                "Export conversation (Markdown)", size="sm", visible=False,
                                elem_id="nq-export-md",
                            )  # fmt: skip
                            export_json = gr.DownloadButton(
                                "Export conversation (JSON)", size="sm", visible=False,
                                elem_id="nq-export-json",
                            )  # fmt: skip
                            clear_button = gr.Button(
                                "New conversation", size="sm", elem_id="nq-clear"
                            )
                        # The last answer as Markdown, for the copy button's script to read.
                        last_markdown = gr.Textbox(visible=False, elem_id="nq-last-md")
                    with gr.Column(scale=2):
                        gr.Markdown("### Sources")
                        sources = gr.HTML(render.source_cards([], {}), elem_id="nq-sources")
                with gr.Accordion("Settings and filters", open=False):
                    with gr.Row():
                        # The LLM is offered only when it is set up: chosen in the settings, or
                        # a server answering at start-up. Otherwise every answer would fail.
                        llm_ready = f"LLM ({settings.llm.base_url})"
                        llm_offered = settings.answer.backend == "openai" or server_answers(
                            settings.llm
                        )
                        backend = gr.Radio(
                            ["Extractive (offline)", *([llm_ready] if llm_offered else [])],
                            value="Extractive (offline)"
                            if settings.answer.backend == "extractive"
                            else llm_ready,
                            label="Answer backend",
                            info=None
                            if llm_offered
                            else "Answers written by an LLM appear here once whoever runs this "
                            "app connects one (see the README).",
                        )
                        k = gr.Slider(
                            1, 20, value=settings.retrieval.top_k, step=1, label="Passages to read"
                        )
                    with gr.Row():
                        outlets.render()  # type: ignore[no-untyped-call]
                        since.render()  # type: ignore[no-untyped-call]
                        until.render()  # type: ignore[no-untyped-call]
                        # "this week", "latest": read relative to this day; today's date at each page load.
                        as_of = gr.Textbox(
                            value=lambda: dt.date.today().isoformat(), max_lines=1, elem_id="nq-as-of",
                            label="Ask as of (YYYY-MM-DD): “this week” means the week before it",
                        )  # fmt: skip
            with gr.Tab("Library", id="library", elem_id="nq-library-tab"):
                gr.Markdown("### Add articles")
                # No file_types filter: the browser would drop other files silently, while the
                # server rejects them with a reason the user can read.
                files = gr.File(
                    file_count="multiple", label="Upload .txt .md .html .json .jsonl",
                    elem_id="nq-upload", height=120,
                )  # fmt: skip
                upload_status = gr.HTML(elem_id="nq-upload-status")
                pending = gr.State([])  # uploads held back until the user says replace or keep
                with gr.Column(
                    visible=False, elem_id="nq-replace", elem_classes=["nq-confirm"]
                ) as replace_box:
                    replace_text = gr.HTML()
                    with gr.Row():
                        replace_yes = gr.Button(
                            "Replace", variant="primary", size="sm", elem_id="nq-replace-yes"
                        )
                        replace_no = gr.Button(
                            "Keep the old one", size="sm", elem_id="nq-replace-no"
                        )
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
                    next_page = gr.Button(
                        "Next ›", size="sm", min_width=100, scale=0, elem_id="nq-page-next"
                    )
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
        options = [backend, k, outlets, since, until, as_of]
        inputs = [box, chatbot, state, *options]
        outputs = [
            chatbot, sources, state, box, undo, as_newest, last_markdown, export_md, export_json,
            copy,
        ]  # fmt: skip
        # The browser copies: the server has no clipboard of the user's.
        copy.click(
            None, [last_markdown], None, api_visibility="private",
            js="(text) => { navigator.clipboard.writeText(text); return []; }",
        )  # fmt: skip
        box.submit(respond, inputs, outputs, api_visibility="private")
        send.click(respond, inputs, outputs, api_visibility="private")
        undo.click(search_as_written, [chatbot, state, *options], outputs, api_visibility="private")
        as_of.change(as_of_words, as_of, as_of_line, api_visibility="private")
        as_newest.click(
            ask_as_of_newest, [chatbot, state, *options], [*outputs, as_of],
            api_visibility="private",
        )  # fmt: skip
        # Every way of starting over resets the history and the sources, the chat's own trash
        # icon included.
        clear_button.click(clear, None, outputs, api_visibility="private")
        chatbot.clear(clear, None, outputs, api_visibility="private")
        table_outputs = [library_listing, library_table, page_line, previous_page, next_page]
        views = [
            library_summary,
            *table_outputs,
            outlet_table,
            outlets,
            examples,
            example_questions,
        ]
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
        remove_no.click(
            lambda: gr.update(visible=False), None, remove_box, api_visibility="private"
        )
        remove_yes.click(
            remove_article, [chosen, library_listing], [*article_outputs, *views],
            api_visibility="private",
        )  # fmt: skip
        # A page opened after an upload shows the library as it is now, not as it was at start.
        app.load(library_views, library_listing, views, api_visibility="private")

        def tick(seen: dt.datetime | None, listing: library.Listing) -> tuple[Any, ...]:
            status = f'<p class="nq-live">{render.escape(live.status())}</p>'
            if seen == live.updated_at:
                return (status, gr.skip(), *(gr.skip(),) * len(views))
            return (status, live.updated_at, *library_views(listing))

        gr.Timer(LIVE_STATUS_SECONDS).tick(
            tick, [seen_version, library_listing], [live_status, seen_version, *views],
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
    settings: Settings, prevent_thread_lock: bool = False, watch: Path | None = None
) -> gr.Blocks:
    """Serves the app on the existing index (`newsqa serve` builds one from the seeds first);
    with `watch`, files added to, changed in or removed from that folder are indexed as they
    arrive, while questions go on being answered."""
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
    app = build_app(live)
    app.queue(default_concurrency_limit=4)
    app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        prevent_thread_lock=prevent_thread_lock,
        css=CSS,
        head=HEAD,
        footer_links=["api"],
        show_error=True,
        quiet=False,
    )
    return app
