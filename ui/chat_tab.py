"""The Chat tab: the question box, the answers with their quotes, the source cards, the
filters and settings, and the take-away (copy, export). Renders what qa/ returns, nothing more.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

if TYPE_CHECKING:
    import pandas as pd

from index.errors import NewsqaError
from index.metadata import describe_date
from index.stored import StoredIndex
from qa.llm import server_answers
from qa.pipeline import (
    parse_day,
    parse_filters,
    parse_typed_day,
    read_month_first,
    read_typed_day,
)
from qa.results import Answer
from qa.session import ChatHistory
from qa.timeline import Timeline, timeline_of
from ui import export, library, render
from ui.live import LiveIndex, outlets_of

ROOT = Path(__file__).resolve().parent.parent
SEED_IDS = frozenset(path.stem for path in (ROOT / "seeds").glob("*.txt"))
EXAMPLES = [
    "What gifts did Putin and Kim exchange?",
    "Which ministers travelled with Putin to North Korea?",
    "How long did the negotiations at the cosmodrome last?",
    "What does North Korea need from Russia?",
    "When did Japan occupy the Korean peninsula?",
]


@dataclass
class Conversation:
    """Per-browser-session state: the chat history and each turn's answer."""

    history: ChatHistory = field(default_factory=ChatHistory)
    turns: list[tuple[str, Answer]] = field(default_factory=list)
    timelines: dict[int, Timeline] = field(default_factory=dict)  # turn -> its timeline
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])  # names its export files


# While an answer streams or fails: "Search as written" and the take-away outputs stay as they
# were (the last answer's Markdown, both export files, the copy and watch buttons, the
# timeline).
UNCHANGED = (gr.skip(),) * 10
log = logging.getLogger(__name__)


def exports_dir() -> Path:
    return Path(tempfile.gettempdir()) / "newsqa-exports"


def as_of_words(as_of: str | None) -> str:
    """ "Questions are read as of 3 December 2026", for the line under the question box."""
    try:
        day = describe_date((parse_day(as_of, "“Ask as of”") or dt.date.today()).isoformat())
    except NewsqaError:
        return "“Ask as of” in the settings below is not a date: use YYYY-MM-DD."
    return f"Questions are read as of **{day}** (to change it, open the settings below)."


SINCE_FIELD, UNTIL_FIELD = "“Published on or after”", "“Published on or before”"


def day_note(typed: str | None, field_name: str) -> str:
    """What a date field's text was read as, beside the field: the day ("Read as 1 December
    2023", saying "month first" where the numbers could be read either way), or, where it is
    no day, why not. It stays until the field changes, where a toast would fade."""
    typed = (typed or "").strip()
    if not typed:
        return ""
    try:
        day = parse_typed_day(typed, field_name)
    except NewsqaError as error:
        return f'<p class="nq-field-error" role="alert">{html.escape(str(error))}</p>'
    assert day is not None
    order = " (numbers month first)" if read_month_first(typed) else ""
    return f'<p class="nq-field-read">Read as {describe_date(day.isoformat())}{order}.</p>'


@dataclass
class ChatTab:
    """What the rest of the page changes on the chat tab: the outlet filter's choices and the
    example questions follow the library."""

    outlets: gr.Dropdown
    examples: gr.Dataset
    example_questions: gr.State

    @property
    def library_outputs(self) -> list[Any]:
        """The components `follow_library`'s values go to, in its order."""
        return [self.outlets, self.examples, self.example_questions]


def follow_library(index: StoredIndex) -> tuple[Any, ...]:
    """The outlet choices and the example questions as the library now is."""
    label, shown, questions = library.example_questions(index, SEED_IDS, EXAMPLES)
    return (
        gr.update(choices=outlets_of(index)),
        gr.Dataset(samples=[[text] for text in shown], label=label, visible=bool(shown)),
        questions,
    )


def timeline_frame(timeline: Timeline | None) -> pd.DataFrame:
    """The timeline's chart data: reports a day, by outlet; days named as a reader says them."""
    import pandas as pd

    rows = [
        {"day": describe_date(day), "outlet": outlet, "reports": count}
        for day, outlet, count in (timeline.per_day() if timeline else [])
    ]
    return pd.DataFrame(rows, columns=["day", "outlet", "reports"])


def build(live: LiveIndex) -> ChatTab:
    """The chat tab's components and events, inside the caller's `gr.Tab`."""
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
                names=(SINCE_FIELD, UNTIL_FIELD), read=parse_typed_day,
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
        try:
            day = parse_day(as_of, "“Ask as of”")
            state.timelines[turn] = timeline_of(pipeline, answer, day, filters)
        except Exception:  # the answer stands without its timeline; the log says why
            log.exception("the timeline of %r failed", answer.question)
            state.timelines.pop(turn, None)
        chat = [*chat, {"role": "assistant", "content": render.answer_message(answer, turn)}]
        sources = render.source_cards(state.turns, pipeline.index.articles)
        rewritten = gr.update(visible=answer.query != answer.question)
        newest = answer.time.get("newest_article")
        # The index ends before the asked time: one click asks again as of the day of the
        # newest report the answer quotes.
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
        """The last question again, as of the day of the newest report its answer quoted (the
        field shows it too)."""
        if not state or not state.turns or len(chat) < 2:
            yield gr.skip(), gr.skip(), state, gr.skip(), gr.skip(), *UNCHANGED[1:], gr.skip()
            return
        question, answer = state.turns.pop()
        state.history.turns.pop()
        newest = answer.time.get("newest_article")
        for update in answer_turn(question, chat[:-2], state, (*options[:5], newest), False):
            yield (*update, newest)

    def take_away(state: Conversation, articles: Mapping[str, Any]) -> tuple[Any, ...]:
        """The last answer as Markdown (for the copy button) and the conversation as files."""
        question, answer = state.turns[-1]
        folder = exports_dir() / state.id
        folder.mkdir(parents=True, exist_ok=True)
        as_markdown = folder / "newsqa-conversation.md"
        as_markdown.write_text(
            export.conversation_markdown(state.turns, articles, state.timelines), "utf-8"
        )
        as_json = folder / "newsqa-conversation.json"
        as_json.write_text(export.conversation_json(state.turns, state.timelines), "utf-8")
        timeline = state.timelines.get(len(state.turns) - 1)
        return (
            export.answer_markdown(question, answer, articles),
            gr.update(value=str(as_markdown), visible=True),
            gr.update(value=str(as_json), visible=True),
            gr.update(visible=True),
            gr.update(visible=True),
            gr.update(value="", visible=False),  # a new answer: not watched yet
            render.timeline_html(timeline, answer, len(state.turns) - 1),
            timeline_frame(timeline),
        )

    def watch_last(state: Conversation | None) -> Any:
        """Watches the last question asked (as the search read it, follow-ups included)."""
        if not state or not state.turns:
            said = "Ask a question first; then it can be watched."
            return gr.update(value=f"<p>{said}</p>", visible=True)
        _, answer = state.turns[-1]
        try:
            watch, added = live.watch(answer.query or answer.question)
        except NewsqaError as error:
            return gr.update(value=f"<p>{render.escape(str(error))}</p>", visible=True)
        said = "Watching" if added else "Already watching"
        return gr.update(
            value=f"<p>{said} “{render.escape(watch.question)}”: it is asked again whenever "
            "articles arrive, and the Watching tab marks it when the answer changes.</p>",
            visible=True,
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
            hidden,
            gr.update(value="", visible=False),
            render.timeline_html(None, None, 0),
            timeline_frame(None),
        )

    state = gr.State(None)
    # Made here so the chips beside the chat box can show them; placed under "Settings".
    outlets = gr.Dropdown(
        live.outlets(), multiselect=True, label="Only these outlets", render=False,
        elem_id="nq-outlets",
    )  # fmt: skip
    since = gr.Textbox(
        label="Published on or after", placeholder="2023-12-01 or 1 Dec 2023", max_lines=1,
        render=False, elem_id="nq-since",
    )  # fmt: skip
    until = gr.Textbox(
        label="Published on or before", placeholder="2023-12-31 or 31 Dec 2023", max_lines=1,
        render=False, elem_id="nq-until",
    )  # fmt: skip
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                label="Chat", height=520, elem_id="nq-chat", sanitize_html=True,
                render_markdown=False, feedback_options=None, group_consecutive_messages=False,
                latex_delimiters=[],  # a question is shown as typed: "$$x$$" is no formula
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
                """Active filters as chips beside the chat box, a day as it was read ("On or
                after 1 December 2023"); a click removes one. A date that is no day has no
                chip: the note beside its field says why."""
                chips: list[tuple[str, Any, Any]] = [
                    (f"Outlet: {name}", outlets, [o for o in chosen or [] if o != name])
                    for name in chosen or []
                ]
                for words, typed, field in (
                    ("On or after", since_day, since),
                    ("On or before", until_day, until),
                ):
                    day = read_typed_day(typed) if typed and typed.strip() else None
                    if day is not None:
                        chips.append((f"{words} {describe_date(day.isoformat())}", field, ""))
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
                    "Ask again as of the newest report found",
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
                clear_button = gr.Button("New conversation", size="sm", elem_id="nq-clear")
                watch_button = gr.Button(
                    "Watch this question", size="sm", visible=False, elem_id="nq-watch-this"
                )
            # Said under the buttons once asked: watched, or why not.
            watch_status = gr.HTML(visible=False, elem_id="nq-watch-status")
            # The last answer as Markdown, for the copy button's script to read.
            last_markdown = gr.Textbox(visible=False, elem_id="nq-last-md")
        with gr.Column(scale=2):
            gr.Markdown("### Sources")
            sources = gr.HTML(render.source_cards([], {}), elem_id="nq-sources")
    # The last answer's reports and the others on its subject, oldest first, and a chart of
    # how many a day, by outlet (qa.timeline).
    with gr.Accordion("Timeline", open=False, elem_id="nq-timeline"):
        timeline_list = gr.HTML(render.timeline_html(None, None, 0), elem_id="nq-timeline-list")
        timeline_chart = gr.BarPlot(
            timeline_frame(None), x="day", y="reports", color="outlet", show_label=False,
            x_title="Published", y_title="Reports", elem_id="nq-timeline-chart", height=260,
            sort=None,
        )  # fmt: skip
    with gr.Accordion("Settings and filters", open=False):
        with gr.Row():
            # The LLM is offered only when it is set up: chosen in the settings, or
            # a server answering at start-up. Otherwise every answer would fail.
            llm_ready = f"LLM ({settings.llm.base_url})"
            llm_offered = settings.answer.backend == "openai" or server_answers(settings.llm)
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
            k = gr.Slider(1, 20, value=settings.retrieval.top_k, step=1, label="Passages to read")
        with gr.Row():
            outlets.render()  # type: ignore[no-untyped-call]
            # Each date field with the note on what it was read as, right under it.
            with gr.Column(min_width=160):
                since.render()  # type: ignore[no-untyped-call]
                since_note = gr.HTML(elem_id="nq-since-note")
            with gr.Column(min_width=160):
                until.render()  # type: ignore[no-untyped-call]
                until_note = gr.HTML(elem_id="nq-until-note")
            # "this week", "latest": read relative to this day; today's date at each page load.
            as_of = gr.Textbox(
                value=lambda: dt.date.today().isoformat(), max_lines=1, elem_id="nq-as-of",
                label="Ask as of (YYYY-MM-DD): “this week” means the week before it",
            )  # fmt: skip
    options = [backend, k, outlets, since, until, as_of]
    inputs = [box, chatbot, state, *options]
    outputs = [
        chatbot, sources, state, box, undo, as_newest, last_markdown, export_md, export_json,
        copy, watch_button, watch_status, timeline_list, timeline_chart,
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
    since.change(
        lambda typed: day_note(typed, SINCE_FIELD), since, since_note, api_visibility="private"
    )
    until.change(
        lambda typed: day_note(typed, UNTIL_FIELD), until, until_note, api_visibility="private"
    )
    as_newest.click(
        ask_as_of_newest, [chatbot, state, *options], [*outputs, as_of],
        api_visibility="private",
    )  # fmt: skip
    # Every way of starting over resets the history and the sources, the chat's own trash
    # icon included.
    clear_button.click(clear, None, outputs, api_visibility="private")
    watch_button.click(watch_last, state, watch_status, api_visibility="private")
    chatbot.clear(clear, None, outputs, api_visibility="private")
    return ChatTab(outlets, examples, example_questions)
