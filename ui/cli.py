"""The `newsqa` command line: a user interface like the app (ui.app), over the same index/ and qa/.

Commands: index, search, ask, chat, serve, eval, bench, migrate, remove, edit, info.

Heavy libraries are imported inside the commands, so `newsqa --help` and errors come back fast.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from index.cache import model_cache
from index.errors import NewsqaError
from index.settings import Settings

BUNDLED_SEEDS = Path(__file__).resolve().parent.parent / "seeds"

app = typer.Typer(
    help="Ask questions of news articles; every answer cites passages you can check.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

IndexDir = Annotated[
    Path | None,
    typer.Option("--index-dir", help="Index folder (default .newsqa, or NEWSQA_INDEX_DIR)."),
]


AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Ask as of this day, YYYY-MM-DD (default today): 'this week' is the week before it.",
    ),
]


def make_settings(index_dir: Path | None) -> Settings:
    return Settings(index_dir=index_dir) if index_dir else Settings()


def index_location(settings: Settings) -> str:
    if settings.store.uri:
        from index.milvus_store import safe_uri

        return f"Milvus {safe_uri(settings.store.uri)}"
    return str(settings.index_dir)


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(code)


def setup_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)
    for noisy in ("bm25s", "sentence_transformers", "transformers", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


@contextlib.contextmanager
def embedding_progress() -> Iterator[Callable[[int, int], None]]:
    """A progress(done, total) callback drawing a tqdm bar on stderr, opened on first call."""
    from tqdm import tqdm

    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr)
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()


@app.callback()
def main() -> None:
    setup_logging()


def check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise fail(f"the folder to watch, {folder}, does not exist or is not a folder.")


@app.command("index")
def index_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders of articles.")
    ] = None,
    index_dir: IndexDir = None,
    prune: Annotated[
        bool, typer.Option(help="Drop indexed articles whose files are gone.")
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            help="An article already indexed from another file is replaced by the one given."
        ),
    ] = False,
    watch: Annotated[
        Path | None,
        typer.Option(
            help="Then keep watching this folder: files added, changed or removed there are "
            "indexed as they arrive (Ctrl-C stops)."
        ),
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            help="Then keep polling the followed feeds (`newsqa follow URL` adds one) and "
            "index their new entries (Ctrl-C stops).",
        ),
    ] = False,
) -> None:
    """Index articles (.txt .md .html .json .jsonl); only new or changed ones are embedded."""
    from index.build import IndexBuilder

    settings = make_settings(index_dir)
    if watch is not None or follow:
        if watch is not None:
            check_folder(watch)
        if paths:
            index_command(paths, index_dir=settings.index_dir, prune=prune, replace=replace)
        stop = follow_feeds(settings) if follow else None
        try:
            if watch is not None:
                watch_folder(watch, settings)
            else:
                typer.echo("Following the feeds (Ctrl-C stops).")
                while True:
                    time.sleep(3600)
        except KeyboardInterrupt:
            typer.echo("Stopped following.")
        finally:
            if stop is not None:
                stop.set()
        return
    if not paths:
        raise fail(
            "name the files or folders to index, or a folder to follow with --watch, or "
            "--follow to poll the followed feeds."
        )
    try:
        with embedding_progress() as progress:
            report = IndexBuilder(settings).run(
                paths, prune=prune, progress=progress, replace=replace
            )
    except NewsqaError as error:
        raise fail(str(error)) from None
    if not report.articles_total:
        from index.load import SUPPORTED_SUFFIXES

        why = (
            f"all {len(report.skipped) + len(report.conflicts)} skipped, for the reasons above"
            if report.skipped or report.conflicts
            else "no " + ", ".join(sorted(SUPPORTED_SUFFIXES)) + " files there"
        )
        made = "" if settings.index_dir.exists() else "; no index was made"
        raise fail(f"nothing to index in {', '.join(map(str, paths))}: {why}{made}.")
    computed = report.chunks_embedded - report.chunks_cached
    rate = computed / report.embed_seconds if report.embed_seconds else 0.0
    typer.echo(
        f"{index_location(settings)}: {report.articles_total} articles, {report.chunks_total} chunks "
        f"({len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} "
        f"unchanged, {len(report.moved)} moved, {len(report.removed)} removed, "
        f"{len(report.skipped) + len(report.conflicts)} skipped); "
        f"embedded {report.chunks_embedded} chunks"
        + (f" ({report.chunks_cached} from the model cache)" if report.chunks_cached else "")
        + f" in {report.seconds:.1f} s"
        + (f" ({rate:.1f} chunks/s)" if rate else "")
        + (f"; entities found in {report.entity_seconds:.1f} s" if report.entity_seconds else "")
    )
    if report.added or report.updated:
        check_watches(settings)


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", help="How many passages.")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Print passages as JSON.")] = False,
    outlet: Annotated[list[str] | None, typer.Option(help="Only these outlets.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only articles published on/after YYYY-MM-DD.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only articles published on/before YYYY-MM-DD.")
    ] = None,
    mmr: Annotated[bool | None, typer.Option("--mmr/--no-mmr", help="Diversify results.")] = None,
    as_of: AsOf = None,
    index_dir: IndexDir = None,
) -> None:
    """Show the passages that best match QUESTION, each an exact span of its article."""
    from index.metadata import byline
    from qa.pipeline import Pipeline, parse_day, parse_filters

    settings = make_settings(index_dir)
    try:
        day = parse_day(as_of, "--as-of")
        pipeline = Pipeline.load(settings)
        filters = parse_filters(outlet, since, until)
        passages = pipeline.search(question, top_k=k, filters=filters, mmr=mmr, as_of=day)
    except NewsqaError as error:
        raise fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps([p.to_json() for p in passages], ensure_ascii=False, indent=1))
        return
    if not passages:
        typer.echo(pipeline.retriever.what_filters_hid(filters) or "No passages found.")
    for rank, passage in enumerate(passages, start=1):
        article = passage.article
        typer.secho(
            f"{rank}. {article.title or passage.chunk.doc_id}  [{passage.chunk.chunk_id}]",
            bold=True,
        )
        known = byline(article.source, article.published)
        typer.echo(f"   {known + ' · ' if known else ''}score {passage.score:.4f}")
        typer.echo("   " + passage.chunk.text.replace("\n", " ")[:400])


Backend = Annotated[
    str | None,
    typer.Option(
        "--backend", help="extractive (default, offline) or openai (NEWSQA_LLM__BASE_URL)."
    ),
]


def print_answer(answer: Any, every_quote: bool = True, more_hint: str = "") -> None:
    """The answer, then the source of each quote shown: its outlet, date, headline and id.

    Like the app, it leads with the direct answer and the quote that states it; unless
    `every_quote`, the other quotes are counted, with `more_hint` saying how to see them.
    """
    from index.metadata import byline
    from qa.verify import marker_numbers

    for notice in answer.notices:
        typer.secho(f"note: {notice}", fg="yellow", err=True)
    if answer.time.get("newest_article"):
        typer.secho(
            f"hint: ask it as of the newest report found with --as-of {answer.time['newest_article']}",
            fg="yellow",
            err=True,
        )
    if answer.verdict:
        typer.secho(answer.verdict, bold=bool(answer.yes_no))
    if answer.abstained and not answer.partial:
        typer.secho(answer.answer, fg="red")
        for rank, passage in enumerate(answer.nearest, start=1):
            typer.echo(
                f"\n  nearest {rank}: {passage['title'] or passage['doc_id']} ({passage['doc_id']})"
            )
            typer.echo("    " + passage["text"].replace("\n", " ")[:300] + "…")
        return
    shown = answer.paragraphs
    lead = list(shown.lead)
    if (answer.short_answer is not None or answer.versions is not None) and lead:
        # The thing asked for (or which report says what) comes first, in bold; the quotes
        # that state it follow.
        typer.secho(lead.pop(0) + "\n", bold=True)
    more = shown.more if every_quote else []
    typer.echo("\n\n".join([*lead, *more]))
    printed = [*shown.lead, *more]
    if shown.more and not every_quote:
        markers = "".join(f"[{n}]" for p in shown.more for n in dict.fromkeys(marker_numbers(p)))
        count = len(shown.more)
        typer.secho(
            f"\n({count} more quote{'s' * (count != 1)} from the articles {markers}"
            f"{': ' + more_hint if more_hint else ''})",
            dim=True,
        )
    if shown.dates_note:
        typer.echo("\n" + shown.dates_note)
        printed.append(shown.dates_note)
    cited = {n for paragraph in printed for n in marker_numbers(paragraph)}
    text = same_quotes(" ".join(printed))
    for c in answer.citations:
        if c.n not in cited:
            continue
        where = " · ".join(part for part in (byline(c.source, c.published), c.title) if part)
        typer.secho(f"\n[{c.n}] {where}", bold=True)
        typer.echo(f"    {c.doc_id}")  # its character offsets: --json
        if same_quotes(c.text) not in text:
            # An LLM's sentence, not a quote: the span it rests on.
            typer.echo(f"    “{' '.join(c.text.split())}”")
        for copy in c.also_published:
            known = byline(copy["source"], copy["published"]) or copy["title"] or ""
            typer.echo(f"    also published by {known} ({copy['doc_id']})")
    for flag in answer.removals:
        typer.secho(f"flag: {flag}", fg="yellow", err=True)


def same_quotes(text: str) -> str:
    """Text compared as quoted: an answer quotes with its inner quotation marks made single."""
    return " ".join(text.split()).translate(str.maketrans("“”’", "‘‘‘"))


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question about the articles.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
    backend: Backend = None,
    k: Annotated[int | None, typer.Option("-k", help="Passages to retrieve.")] = None,
    as_of: AsOf = None,
    every_quote: Annotated[
        bool, typer.Option("--all", help="Print every quote, not only the one that answers.")
    ] = False,
    index_dir: IndexDir = None,
) -> None:
    """Answer QUESTION from the indexed articles, citing the exact sentences it relies on."""
    from qa.pipeline import Pipeline, parse_day

    settings = make_settings(index_dir)
    try:
        day = parse_day(as_of, "--as-of")
        pipeline = Pipeline.load(settings)
        if as_json:
            answer = pipeline.ask(question, top_k=k, backend=backend, as_of=day)
            typer.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=1))
            return
        answer = stream_answer(pipeline, question, None, k, backend, day)
    except NewsqaError as error:
        raise fail(str(error)) from None
    print_answer(answer, every_quote, "--all prints every quote")


def stream_answer(
    pipeline: Any,
    question: str,
    history: Any,
    k: int | None,
    backend: str | None,
    as_of: Any = None,
) -> Any:
    """Shows LLM tokens as they arrive (dimmed: not yet verified), then returns the Answer."""
    from qa.results import Answer

    streamed = False
    for item in pipeline.stream(question, history=history, top_k=k, backend=backend, as_of=as_of):
        if isinstance(item, Answer):
            if streamed:
                typer.echo("\n--- verified answer ---", err=True)
            return item
        streamed = True
        typer.secho(item, nl=False, dim=True, err=True)
    raise AssertionError("the pipeline ended without an answer")


@app.command()
def chat(
    backend: Backend = None,
    k: Annotated[int | None, typer.Option("-k", help="Passages to retrieve.")] = None,
    as_of: AsOf = None,
    index_dir: IndexDir = None,
) -> None:
    """A conversation in the terminal: follow-up questions use the earlier turns."""
    from qa.pipeline import Pipeline, parse_day
    from qa.session import ChatHistory

    settings = make_settings(index_dir)
    try:
        day = parse_day(as_of, "--as-of")
        pipeline = Pipeline.load(settings)
    except NewsqaError as error:
        raise fail(str(error)) from None
    history = ChatHistory()
    typer.echo(
        "Ask about the indexed articles. Empty line or Ctrl-D to quit; /new starts over; /more "
        "prints the last answer's other quotes."
    )
    answer = None
    while True:
        try:
            question = input("\n> ")
        except (EOFError, KeyboardInterrupt):
            typer.echo()
            return
        if not question.strip():
            return
        if question.strip() == "/new":
            history = ChatHistory()
            typer.echo("(new conversation)")
            continue
        if question.strip() == "/more":
            if answer is not None:
                print_answer(answer)
            continue
        try:
            answer = stream_answer(pipeline, question, history, k, backend, day)
        except NewsqaError as error:
            typer.secho(f"error: {error}", fg="red", err=True)
            continue
        if answer.query != answer.question:
            typer.secho(f"(searched for: {answer.query})", dim=True, err=True)
        print_answer(answer, every_quote=False, more_hint="/more prints every quote")


def feed_indexer(settings: Settings) -> Callable[[list[Path]], object]:
    """Indexes a poll's entry files with one builder (one embedder), a line per change."""
    import datetime as dt

    from index.build import IndexBuilder, IndexReport

    builder = IndexBuilder(settings)
    lock = threading.Lock()

    def apply(files: list[Path]) -> IndexReport:
        with lock:
            report = builder.run(files)
        if report.changed:
            typer.echo(
                f"{dt.datetime.now():%H:%M:%S} feeds: {len(report.added)} added, "
                f"{len(report.updated)} updated; {report.articles_total} articles in "
                f"{index_location(settings)}"
            )
        if report.added or report.updated:
            check_watches(settings, builder.embedder)
        return report

    return apply


def follow_feeds(settings: Settings) -> threading.Event:
    """Polls the followed feeds on a thread until the returned event is set."""
    from index.feeds import FeedBook, FeedFollower

    try:
        count = len(FeedBook(settings.index_dir).feeds())
    except NewsqaError as error:
        raise fail(str(error)) from None
    typer.echo(
        f"Polling {count} followed feed{'s' * (count != 1)} every "
        f"{settings.feeds.interval_s:g} s." + ("" if count else " Add one with: newsqa follow URL")
    )
    follower = FeedFollower(settings, feed_indexer(settings))
    stop = threading.Event()
    threading.Thread(target=follower.run, args=(stop,), name="newsqa-feeds", daemon=True).start()
    return stop


@app.command()
def follow(
    urls: Annotated[list[str], typer.Argument(help="Feed addresses (RSS or Atom), http(s).")],
    index_dir: IndexDir = None,
) -> None:
    """Follow news feeds: each is polled now and its entries indexed; `index --follow` or
    `serve --follow` keeps polling them."""
    from index.feeds import FeedBook, FeedError, FeedFollower

    settings = make_settings(index_dir)
    book = FeedBook(settings.index_dir)
    failed = 0
    follower = FeedFollower(settings, feed_indexer(settings))
    try:
        for url in urls:
            try:
                feed, added = book.add(url)
            except FeedError as error:
                typer.secho(f"not followed: {error}", fg="red", err=True)
                failed += 1
                continue
            report = follower.poll(feed)
            said = "following" if added else "already following"
            if feed.error:
                failed += 1
                typer.secho(
                    f"{said} {feed.url}, but its poll failed: {feed.error}. It is tried again "
                    "on the next poll.",
                    fg="yellow",
                    err=True,
                )
                continue
            left = f"; {len(report.skipped)} entries left out (the log says why)" * bool(
                report.skipped
            )
            typer.echo(
                f"{said} {feed.title or feed.url}: {len(report.new_files)} new entries kept, "
                f"{feed.entries_kept} in all{left}" + (f". {feed.note}" if feed.note else "")
            )
    except NewsqaError as error:
        raise fail(str(error)) from None
    finally:
        follower.close()
    if failed:
        raise typer.Exit(1)


@app.command()
def feeds(
    index_dir: IndexDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the feeds as JSON.")] = False,
) -> None:
    """List the followed feeds: status, last good poll, entries kept, the last error."""
    from index.feeds import FeedBook

    settings = make_settings(index_dir)
    try:
        rows = FeedBook(settings.index_dir).feeds()
    except NewsqaError as error:
        raise fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps([f.to_json() for f in rows], indent=1, ensure_ascii=False))
        return
    if not rows:
        typer.echo("No feeds followed. Add one with: newsqa follow URL")
        return
    for feed in rows:
        typer.echo(
            f"{feed.status:>14}  {feed.url}  {feed.title or ''}\n"
            f"{'':>16}{feed.entries_kept} entries kept; last good poll "
            f"{feed.last_good_poll_at or 'never'}"
            + (f"; error: {feed.error}" if feed.error else "")
            + (f"; {feed.note}" if feed.note else "")
        )


@app.command()
def unfollow(
    url: Annotated[str, typer.Argument(help="The feed's address, as `newsqa feeds` lists it.")],
    index_dir: IndexDir = None,
    remove_articles: Annotated[
        bool,
        typer.Option("--remove-articles", help="Also remove the articles it brought in."),
    ] = False,
) -> None:
    """Stop following a feed. Its articles stay indexed unless --remove-articles."""
    import shutil

    from index.build import IndexBuilder
    from index.feeds import FeedBook
    from index.store import open_store
    from index.stored import field_values

    settings = make_settings(index_dir)
    book = FeedBook(settings.index_dir)
    try:
        feed = book.remove(url)
        files = book.entry_files(feed)
        if not remove_articles:
            typer.echo(
                f"unfollowed {feed.url}; its {len(files)} articles stay indexed "
                "(--remove-articles removes them)."
            )
            return
        kept = {str(p.resolve()) for p in files}
        store = open_store(settings)
        articles = store.load().articles if store.exists() and kept else {}
        paths = field_values(articles, "path")
        ids = [
            d
            for d, path in zip(articles, paths, strict=True)
            if str(Path(path or "").resolve()) in kept
        ]
        if ids:
            IndexBuilder(settings).remove(ids)
        shutil.rmtree(book.entry_folder(feed), ignore_errors=True)
    except NewsqaError as error:
        raise fail(str(error)) from None
    typer.echo(f"unfollowed {feed.url}; removed its {len(ids)} articles.")


def watch_folder(folder: Path, settings: Settings) -> None:
    """Indexes the folder, then each change to it, printing a line per change, until Ctrl-C."""
    import datetime as dt

    from index.build import IndexBuilder, IndexReport
    from index.watch import FolderWatcher

    builder = IndexBuilder(settings)  # one embedder for every change

    def apply(files: list[Path]) -> IndexReport:
        report = builder.run(files, prune=True, within=folder)
        if report.changed:
            typer.echo(
                f"{dt.datetime.now():%H:%M:%S} {len(report.added)} added, "
                f"{len(report.updated)} updated, {len(report.removed)} removed; "
                f"{report.articles_total} articles in {index_location(settings)}"
            )
        if report.added or report.updated:
            check_watches(settings, builder.embedder)
        return report

    typer.echo(f"Watching {folder} (Ctrl-C stops).")
    watcher = FolderWatcher(folder, apply)
    try:
        watcher.run()
    except KeyboardInterrupt:
        watcher.stop.set()
    typer.echo("Stopped watching.")


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 7860).")] = None,
    seeds: Annotated[
        Path | None,
        typer.Option(
            help="Articles to index first when there is no index yet (default: the bundled "
            "seeds/, but only into the default index folder)."
        ),
    ] = None,
    watch: Annotated[
        Path | None,
        typer.Option(help="A live folder: files added, changed or removed there are indexed."),
    ] = None,
    follow: Annotated[
        bool,
        typer.Option("--follow", help="Poll the followed feeds and index their new entries."),
    ] = False,
    index_dir: IndexDir = None,
) -> None:
    """Start the chat web app. With no index yet at the default folder the bundled articles are
    indexed first; an --index-dir that holds no index stops, unless --seeds says what to index."""
    from index.settings import UISettings
    from index.store import open_store

    settings = make_settings(index_dir)
    ui = settings.ui
    settings = settings.model_copy(
        update={"ui": UISettings(host=host or ui.host, port=port or ui.port)}
    )
    try:
        from ui.app import check_port

        check_port(settings.ui.host, settings.ui.port)  # before any slow indexing
        if watch is not None:
            check_folder(watch)
        store = open_store(settings)
        if not store.exists():
            if seeds is None and index_dir is not None and not settings.store.uri:
                # A folder named on purpose that holds no index is most likely a typo: building
                # the seeds there would serve the wrong articles without a word.
                raise fail(
                    f"No index at {index_dir}. Index your articles into it with: newsqa index "
                    f"FILES --index-dir {index_dir}, or start it with the bundled articles: "
                    f"newsqa serve --index-dir {index_dir} --seeds seeds/"
                )
            seeds = seeds or BUNDLED_SEEDS
            typer.echo(f"No index at {index_location(settings)} yet: indexing {seeds} first.")
            index_command([seeds], index_dir=settings.index_dir, prune=False)
        elif store.outdated():
            # After an upgrade: rebuild from the same files (seeds, uploads, folders).
            files = store.recorded_files()
            typer.echo(
                f"The index at {index_location(settings)} was built by another version of "
                f"newsqa: re-indexing its {len(files)} files."
            )
            index_command(files, index_dir=settings.index_dir, prune=False)
        from ui.app import serve as serve_app

        typer.echo(f"Starting newsqa on http://{settings.ui.host}:{settings.ui.port} …")
        if watch is not None:
            typer.echo(f"Watching {watch}: new, changed and removed files are indexed.")
        if follow:
            typer.echo(f"Following the feeds: polled every {settings.feeds.interval_s:g} s.")
        serve_app(settings, watch=watch, follow=follow)
    except NewsqaError as error:
        raise fail(str(error)) from None


DEFAULT_QUESTIONS = Path(__file__).resolve().parent.parent / "bench" / "seed_questions.jsonl"
DEFAULT_MULTIHOP = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "multihop_rag"
)
MinOption = Annotated[float | None, typer.Option(help="Exit non-zero if the metric is below this.")]


@app.command("eval")
def eval_command(
    questions: Annotated[
        Path, typer.Option(help="Canned questions, JSON Lines.")
    ] = DEFAULT_QUESTIONS,
    out: Annotated[
        Path, typer.Option(help="Folder for results.jsonl, summary.json, report.*")
    ] = Path("eval-out"),
    backend: Backend = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Ask every question as of this day (YYYY-MM-DD), unless its line has 'asked_on'.",
        ),
    ] = None,
    index_dir: IndexDir = None,
    min_accuracy: MinOption = None,
    min_hit_at_1: MinOption = None,
    min_hit_at_3: MinOption = None,
    min_mrr: MinOption = None,
    min_fact_recall: MinOption = None,
    min_all_facts: MinOption = None,
    min_citation_precision: MinOption = None,
    min_abstention_precision: MinOption = None,
    min_abstention_recall: MinOption = None,
) -> None:
    """Run canned questions through the app's pipeline and score them (the seeds by default)."""
    from index.store import open_store
    from qa.evaluate import METRICS, run_eval, write_report
    from qa.pipeline import Pipeline, parse_day
    from qa.questions import load_questions

    settings = make_settings(index_dir)
    gates = {
        "accuracy": min_accuracy, "hit_at_1": min_hit_at_1, "hit_at_3": min_hit_at_3,
        "mrr": min_mrr, "fact_recall": min_fact_recall, "all_facts": min_all_facts,
        "citation_precision": min_citation_precision,
        "abstention_precision": min_abstention_precision,
        "abstention_recall": min_abstention_recall,
    }  # fmt: skip
    try:
        day = parse_day(as_of, "--as-of")
        canned = load_questions(questions)
        if not open_store(settings).exists():
            typer.echo(
                f"No index at {index_location(settings)} yet: indexing {BUNDLED_SEEDS} first."
            )
            index_command([BUNDLED_SEEDS], index_dir=settings.index_dir, prune=False)
        pipeline = Pipeline.load(settings)
        about = {doc for q in canned for doc in q.docs}
        missing = sorted(about - set(pipeline.index.articles))
        if missing:
            typer.secho(
                f"warning: {len(missing)} of the {len(about)} articles these questions are about "
                f"are not in {index_location(settings)} ({', '.join(missing[:3])}"
                f"{', …' if len(missing) > 3 else ''}); the scores say little about this index."
                + (
                    " These are the bundled seed questions."
                    if questions == DEFAULT_QUESTIONS
                    else ""
                ),
                err=True,
            )
        rows, summary = run_eval(pipeline, canned, backend, day)
    except NewsqaError as error:
        raise fail(str(error)) from None
    write_report(out, rows, summary, f"newsqa eval: {questions.name}")
    for name in METRICS:
        typer.echo(f"{name:>22}: {summary[name]:.3f}")
    typer.echo(
        f"{'latency p50 / p95':>22}: {summary['latency_ms_p50']:.0f} / {summary['latency_ms_p95']:.0f} ms"
    )
    typer.echo(f"wrote {out}/results.jsonl, summary.json, report.md, report.png")
    missed = [
        f"{k} {summary[k]:.3f} < {v}" for k, v in gates.items() if v is not None and summary[k] < v
    ]
    if missed:
        raise fail("below the minimum: " + "; ".join(missed))


watch_app = typer.Typer(
    help="Watched questions: asked again as articles arrive, marked when the answer changes.",
    no_args_is_help=True,
)
app.add_typer(watch_app, name="watch")


def print_change(question: str, change: Any) -> None:
    typer.echo(f"{change.at[:16].replace('T', ' ')}  {question}\n    {change.summary}")


@watch_app.command("add")
def watch_add(
    question: Annotated[str, typer.Argument(help="The question to watch.")],
    index_dir: IndexDir = None,
) -> None:
    """Watch QUESTION: it is asked again whenever articles arrive."""
    from qa.pipeline import Pipeline
    from qa.watches import WatchBook

    settings = make_settings(index_dir)
    try:
        watch, added = WatchBook(settings.index_dir).add(Pipeline.load(settings), question)
    except NewsqaError as error:
        raise fail(str(error)) from None
    said = "watching" if added else "already watching"
    typer.echo(f"{said} [{watch.id}] {watch.question}\n    now: {watch.last.lead}"
               + ("" if watch.last.abstained else f" ({watch.last.byline})"))  # fmt: skip


@watch_app.command("list")
def watch_list(
    index_dir: IndexDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the watches as JSON.")] = False,
) -> None:
    """List the watched questions, their answer now and their changes."""
    from qa.watches import WatchBook

    settings = make_settings(index_dir)
    try:
        watches = WatchBook(settings.index_dir).watches()
    except NewsqaError as error:
        raise fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps([w.to_json() for w in watches], indent=1, ensure_ascii=False))
        return
    if not watches:
        typer.echo('No questions watched. Add one with: newsqa watch add "QUESTION"')
    for watch in watches:
        changes = len(watch.changes)
        typer.echo(f"[{watch.id}] {watch.question}  ({changes} change{'s' * (changes != 1)})\n"
                   f"    now: {watch.last.lead}")  # fmt: skip


@watch_app.command("remove")
def watch_remove(
    key: Annotated[str, typer.Argument(help="The watch's id, or its question.")],
    index_dir: IndexDir = None,
) -> None:
    """Stop watching a question."""
    from qa.watches import WatchBook

    settings = make_settings(index_dir)
    try:
        watch = WatchBook(settings.index_dir).remove(key)
    except NewsqaError as error:
        raise fail(str(error)) from None
    typer.echo(f"no longer watching [{watch.id}] {watch.question}")


@watch_app.command("check")
def watch_check(
    index_dir: IndexDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the changes as JSON.")] = False,
) -> None:
    """Ask every watched question again, as of now. Prints each change once (also those found
    when articles arrived) and exits 1 when there is one: for cron."""
    from qa.pipeline import Pipeline
    from qa.watches import WatchBook

    settings = make_settings(index_dir)
    book = WatchBook(settings.index_dir)
    try:
        if book.watches():
            book.check(Pipeline.load(settings))
        fresh = book.take_alerts()
    except NewsqaError as error:
        raise fail(str(error)) from None
    if as_json:
        rows = [{"id": w.id, "question": w.question, **c.to_json()} for w, c in fresh]
        typer.echo(json.dumps(rows, indent=1, ensure_ascii=False))
    elif not fresh:
        typer.echo("No watched answer changed.")
    for watch, change in [] if as_json else fresh:
        print_change(watch.question, change)
    if fresh:
        raise typer.Exit(1)


def check_watches(settings: Settings, embedder: Any = None) -> None:
    """After articles arrived: the watched questions asked again; a line a change."""
    from qa.pipeline import Pipeline
    from qa.watches import WatchBook

    book = WatchBook(settings.index_dir)
    try:
        if not book.watches():
            return
        changed = book.check(Pipeline.load(settings, embedder))
    except NewsqaError as error:
        typer.secho(f"watched questions not checked: {error}", fg="yellow", err=True)
        return
    for watch, change in changed:
        typer.secho("watched answer changed:", bold=True)
        print_change(watch.question, change)


bench_app = typer.Typer(help="Benchmarks that print and save numbers.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("multihop")
def bench_multihop(
    data: Annotated[
        Path, typer.Option(help="Folder with corpus.json and MultiHopRAG.json.")
    ] = DEFAULT_MULTIHOP,
    out: Annotated[
        Path, typer.Option(help="Folder for retrieval.jsonl, summary.json, report.md.")
    ] = Path("bench/out/multihop"),
    limit: Annotated[int | None, typer.Option(help="Only the first N query records.")] = None,
    index_dir: Annotated[
        Path, typer.Option("--index-dir", help="The benchmark's own index (reused when unchanged).")
    ] = Path(".newsqa-multihop"),
) -> None:
    """MultiHop-RAG retrieval: Hits@4/10, MAP@10, MRR@10 with the authors' metric, beside Table 5."""
    from qa.benchmark import METRICS, run_multihop

    if not (data / "corpus.json").exists() or not (data / "MultiHopRAG.json").exists():
        raise fail(f"{data} must hold corpus.json and MultiHopRAG.json (see --data).")
    settings = make_settings(index_dir)
    try:
        with embedding_progress() as progress:
            summary = run_multihop(settings, data, out, limit, progress)
    except NewsqaError as error:
        raise fail(str(error)) from None
    for metric in (*METRICS, "fact_coverage"):
        typer.echo(f"{metric:>14}: {summary[metric]:.4f}")
    for kind, values in summary["per_type"].items():
        typer.echo(f"{kind:>20}: Hits@10 {values['Hits@10']:.4f}  MRR@10 {values['MRR@10']:.4f}")
    typer.echo(
        f"{summary['queries']} queries; wrote {out}/retrieval.jsonl, summary.json, report.md"
    )


@app.command()
def migrate(
    to: Annotated[
        str,
        typer.Option(
            "--to", help="Milvus URI: a Milvus Lite file (./news.db) or http://host:19530."
        ),
    ],
    index_dir: IndexDir = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Clear an index already at the URI first.")
    ] = False,
) -> None:
    """Copy the local index into Milvus, vectors and all (nothing is embedded again)."""
    from index.migrate import migrate_to_milvus

    settings = make_settings(index_dir)
    try:
        copied = migrate_to_milvus(settings, to, replace)
    except NewsqaError as error:
        raise fail(str(error)) from None
    typer.echo(
        f"copied {copied.articles} articles, {copied.chunks} chunks and {copied.sentences} "
        f"sentences from {settings.index_dir} to {copied.location} in {copied.seconds:.1f} s. "
        f"Use it with: NEWSQA_STORE__URI={to} newsqa serve"
    )


@app.command()
def remove(
    doc_ids: Annotated[list[str], typer.Argument(help="Document ids to drop.")],
    index_dir: IndexDir = None,
) -> None:
    """Remove articles from the index by document id."""
    from index.build import IndexBuilder

    settings = make_settings(index_dir)
    try:
        report = IndexBuilder(settings).remove(doc_ids)
    except NewsqaError as error:
        raise fail(str(error)) from None
    typer.echo(
        f"removed {', '.join(report.removed)}; {report.articles_total} articles, "
        f"{report.chunks_total} chunks left"
    )


@app.command()
def edit(
    doc_id: Annotated[str, typer.Argument(help="The article's document id.")],
    outlet: Annotated[
        str | None, typer.Option(help="The outlet that published it ('' for unknown).")
    ] = None,
    date: Annotated[
        str | None, typer.Option(help="Its publication date, YYYY-MM-DD ('' for unknown).")
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="Go back to the outlet and date its file states.")
    ] = False,
    index_dir: IndexDir = None,
) -> None:
    """Correct an article's outlet or date; kept when its file is indexed again."""
    from index.build import IndexBuilder
    from index.metadata import describe_date

    values: dict[str, str | None] = {
        name: value
        for name, value in (("source", outlet), ("published", date))
        if value is not None
    }
    if not values and not reset:
        raise fail("give --outlet, --date or --reset.")
    try:
        article = IndexBuilder(make_settings(index_dir)).correct(doc_id, values, reset=reset)
    except NewsqaError as error:
        raise fail(str(error)) from None
    typer.echo(
        f"{article.doc_id}: {article.source or 'outlet unknown'}, "
        f"{describe_date(article.published)}"
    )


@app.command()
def info(
    index_dir: IndexDir = None,
    articles: Annotated[bool, typer.Option("--articles", help="List every article.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Describe the index: where it is, size, model, index types, outlets and dates."""
    from index.metadata import byline, outlet_coverage
    from index.store import open_store

    settings = make_settings(index_dir)
    try:
        store = open_store(settings)
        stored = store.load()
        described = store.describe()
    except NewsqaError as error:
        raise fail(str(error)) from None
    m = stored.manifest
    summary: dict[str, Any] = {
        **described,
        "version": stored.version,
        "articles": m.n_articles,
        "chunks": m.n_chunks,
        "embed_model": m.embed_model,
        "dim": m.dim,
        "chunk_size": m.chunk_size,
        "chunk_overlap": m.chunk_overlap,
        "outlets": outlet_coverage(stored.articles.values()),
    }
    cache = model_cache(settings).describe()
    cache_mb = cache["bytes"] / 2**20
    summary["model_cache"] = f"{cache['entries']:,} entries, {cache_mb:.1f} MiB"
    if articles:
        summary["article_list"] = [
            {
                "doc_id": a.doc_id,
                "title": a.title,
                "source": a.source,
                "published": a.published,
                "author": a.author,
                "url": a.url,
                "chunks": len(stored.chunks_of(a.doc_id)),
                "path": a.path,
            }
            for a in stored.articles.values()
        ]
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
        return
    for key, value in summary.items():
        if key == "collections":
            for name, about in value.items():
                typer.echo(f"{name:>14}: {about['rows']:,} rows; {', '.join(about['indexes'])}")
        elif key not in {"article_list", "outlets"}:
            typer.echo(f"{key:>14}: {value}")
    named = [row for row in summary["outlets"] if row["outlet"]]
    typer.echo(f"{'outlets':>14}: {len(named)}")
    typer.echo(f"  {'articles':>8}  {'first':<10}  {'last':<10}  {'no date':>7}  outlet")
    for row in summary["outlets"]:
        typer.echo(
            f"  {row['articles']:>8}  {row['first'] or '-':<10}  {row['last'] or '-':<10}  "
            f"{row['without_full_date']:>7}  {row['outlet'] or '(outlet unknown)'}"
        )
    for row in summary.get("article_list", []):
        # What is known of each article; unknown parts are left out, not shown as "-".
        known = [
            byline(row["source"], row["published"]),
            f"by {row['author']}" if row["author"] else "",
            f"{row['chunks']} chunks",
            row["title"] or "",
        ]
        typer.echo(f"  {row['doc_id']}  " + " · ".join(part for part in known if part))


def run() -> None:
    """The `newsqa` command. Whatever fails inside ends in one line and exit code 1, never a
    traceback: a disk that is full or read-only says which path and what to do; anything else
    says what failed and where the details were written."""
    try:
        app()
    except OSError as error:
        from index.errors import DISK_REASONS, disk_error

        if error.errno in DISK_REASONS:
            typer.secho(f"error: {disk_error(error, 'running newsqa')}", err=True, fg="red")
        else:
            where = f" ({error.filename})" if error.filename else ""
            typer.secho(f"error: {error.strerror or error}{where}", err=True, fg="red")
        sys.exit(1)
    except Exception as error:
        details = write_details()
        typer.secho(
            f"error: newsqa failed unexpectedly ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:200] if str(error) else 'no message'})"
            + (f"; the details are in {details}" if details else ""),
            err=True,
            fg="red",
        )
        sys.exit(1)


def write_details() -> str | None:
    """The current exception's traceback, in a file of the temporary folder (for a bug report)."""
    import tempfile
    import traceback

    try:
        with tempfile.NamedTemporaryFile(
            "w", prefix="newsqa-error-", suffix=".log", delete=False, encoding="utf-8"
        ) as handle:
            traceback.print_exc(file=handle)
            return handle.name
    except OSError:
        return None


if __name__ == "__main__":
    run()
