"""The Gradio chat app: renders what qa/ returns, nothing more.

One Pipeline (model and index) is loaded at start and shared by every request; an upload builds
the new index version on disk and then swaps in a freshly loaded Pipeline, so a question being
answered keeps the index it started with and never sees a half-updated one.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import socket
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from index.build import IndexBuilder
from index.embed import Embedder
from index.errors import NewsqaError
from index.settings import Settings
from qa.pipeline import Pipeline, parse_day, parse_filters
from qa.results import Answer
from qa.session import ChatHistory
from ui import export, render

ROOT = Path(__file__).resolve().parent.parent
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
UNCHANGED = (gr.skip(),) * 5


def exports_dir() -> Path:
    return Path(tempfile.gettempdir()) / "newsqa-exports"


class LiveIndex:
    """The pipeline every request uses, swapped whole after an upload."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._pipeline = Pipeline.load(settings, embedder)
        self._write_lock = threading.Lock()

    @property
    def pipeline(self) -> Pipeline:
        return self._pipeline

    def outlets(self) -> list[str]:
        return sorted({a.source for a in self._pipeline.index.articles.values() if a.source})

    def add_files(self, paths: list[Path], progress: Any = None) -> str:
        """Indexes uploaded files, then swaps in the new index. Returns a report for the user."""
        with self._write_lock:

            def report_progress(done: int, total: int) -> None:
                if progress is not None:
                    progress(done / max(total, 1), desc=f"Embedding {done}/{total} chunks")

            builder = IndexBuilder(self.settings, self._pipeline.embedder)
            report = builder.run(paths, progress=report_progress)
            if report.saved:
                self._pipeline = Pipeline.load(self.settings, self._pipeline.embedder)
        lines = []
        if report.added or report.updated:
            lines.append(
                f"Indexed {len(report.added) + len(report.updated)} article(s) "
                f"({report.chunks_embedded} passages): " + ", ".join(report.added + report.updated)
            )
        if report.unchanged:
            lines.append("Already indexed, unchanged: " + ", ".join(report.unchanged))
        lines.extend(f"Rejected {Path(s.path).name}: {s.reason}" for s in report.skipped)
        return "\n".join(lines) or "Nothing to index."


def safe_upload_name(name: str) -> str:
    """The file's own name only: no folders, no '..', nothing but ordinary characters."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\-]+", "_", base).strip("._") or "upload"
    return cleaned[:120]


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
        yield chat, sources, state, "", rewritten, *take_away(state, pipeline.index.articles)

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
            "",
            hidden,
            hidden,
            hidden,
        )

    def upload(files: list[Any] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not files:
            return gr.skip(), gr.skip(), None
        folder = settings.index_dir.resolve().parent / "uploads" / uuid.uuid4().hex[:12]
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for item in files:
            source = Path(item if isinstance(item, str) else item.name)
            target = folder / safe_upload_name(getattr(item, "orig_name", None) or source.name)
            shutil.copyfile(source, target)
            saved.append(target)
        # The loader rejects what it can't read (type, encoding, size, shape) and says why.
        message = live.add_files(saved, progress)
        return (
            render.escape(message).replace("\n", "<br>"),
            gr.update(choices=live.outlets()),
            None,
        )

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
                    since_day, until_day = (since_day or "").strip(), (until_day or "").strip()
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

                gr.Examples(EXAMPLES, inputs=box, label="Example questions about the seed articles")
                with gr.Row():
                    undo = gr.Button(
                        "Search as written", size="sm", visible=False, elem_id="nq-as-written"
                    )
                    copy = gr.Button(
                        "Copy answer as Markdown", size="sm", visible=False, elem_id="nq-copy-md"
                    )
                    export_md = gr.DownloadButton(
                        "Export conversation (Markdown)", size="sm", visible=False,
                        elem_id="nq-export-md",
                    )  # fmt: skip
                    export_json = gr.DownloadButton(
                        "Export conversation (JSON)", size="sm", visible=False,
                        elem_id="nq-export-json",
                    )  # fmt: skip
                    clear_button = gr.Button("New conversation", size="sm", elem_id="nq-clear")
                # The last answer as Markdown, for the copy button's script to read.
                last_markdown = gr.Textbox(visible=False, elem_id="nq-last-md")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(render.source_cards([], {}), elem_id="nq-sources")
        with gr.Accordion("Settings and filters", open=False):
            with gr.Row():
                llm_ready = f"LLM ({settings.llm.base_url})"
                backend = gr.Radio(
                    ["Extractive (offline)", llm_ready],
                    value="Extractive (offline)"
                    if settings.answer.backend == "extractive"
                    else llm_ready,
                    label="Answer backend",
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
        with gr.Accordion("Add articles", open=False):
            # No file_types filter: the browser would drop other files silently, while the
            # server rejects them with a reason the user can read.
            files = gr.File(
                file_count="multiple", label="Upload .txt .md .html .json .jsonl",
                elem_id="nq-upload",
            )  # fmt: skip
            upload_status = gr.HTML(elem_id="nq-upload-status")

        options = [backend, k, outlets, since, until, as_of]
        inputs = [box, chatbot, state, *options]
        outputs = [chatbot, sources, state, box, undo, last_markdown, export_md, export_json, copy]
        # The browser copies: the server has no clipboard of the user's.
        copy.click(
            None, [last_markdown], None, api_visibility="private",
            js="(text) => { navigator.clipboard.writeText(text); return []; }",
        )  # fmt: skip
        box.submit(respond, inputs, outputs, api_visibility="private")
        send.click(respond, inputs, outputs, api_visibility="private")
        undo.click(search_as_written, [chatbot, state, *options], outputs, api_visibility="private")
        # Every way of starting over resets the history and the sources, the chat's own trash
        # icon included.
        clear_button.click(clear, None, outputs, api_visibility="private")
        chatbot.clear(clear, None, outputs, api_visibility="private")
        files.upload(upload, files, [upload_status, outlets, files], api_visibility="private")
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


def serve(settings: Settings, prevent_thread_lock: bool = False) -> gr.Blocks:
    """Serves the app on the existing index (`newsqa serve` builds one from the seeds first)."""
    host, port = settings.ui.host, settings.ui.port
    check_port(host, port)
    auth = None
    if settings.auth:
        user, _, password = settings.auth.partition(":")
        if not user or not password:
            raise NewsqaError("NEWSQA_AUTH must look like user:password.")
        auth = (user, password)
    live = LiveIndex(settings)
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
