"""The `newsqa` command line: index, search, remove, info (and, as they land, ask/chat/serve/eval).

Heavy libraries are imported inside the commands, so `newsqa --help` and errors come back fast.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from index.errors import NewsqaError
from index.settings import Settings

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


def make_settings(index_dir: Path | None) -> Settings:
    return Settings(index_dir=index_dir) if index_dir else Settings()


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(code)


def setup_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)
    for noisy in ("bm25s", "sentence_transformers", "transformers", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


@app.callback()
def main() -> None:
    setup_logging()


@app.command("index")
def index_command(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of articles.")],
    index_dir: IndexDir = None,
    prune: Annotated[
        bool, typer.Option(help="Drop indexed articles whose files are gone.")
    ] = False,
) -> None:
    """Index articles (.txt .md .html .json .jsonl); only new or changed ones are embedded."""
    from tqdm import tqdm

    from index.build import IndexBuilder

    settings = make_settings(index_dir)
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr)
        bar.update(done - bar.n)

    try:
        report = IndexBuilder(settings).run(paths, prune=prune, progress=progress)
    except NewsqaError as error:
        raise fail(str(error)) from None
    finally:
        if bar is not None:
            bar.close()
    rate = report.chunks_embedded / report.embed_seconds if report.embed_seconds else 0.0
    typer.echo(
        f"{settings.index_dir}: {report.articles_total} articles, {report.chunks_total} chunks "
        f"({len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} "
        f"unchanged, {len(report.removed)} removed, {len(report.skipped)} skipped); "
        f"embedded {report.chunks_embedded} chunks in {report.seconds:.1f} s"
        + (f" ({rate:.1f} chunks/s)" if rate else "")
    )
    if not report.articles_total:
        raise fail("no articles were indexed; see the warnings above.")


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
    index_dir: IndexDir = None,
) -> None:
    """Show the passages that best match QUESTION, each an exact span of its article."""
    from qa.pipeline import Pipeline, parse_filters

    settings = make_settings(index_dir)
    try:
        pipeline = Pipeline.load(settings)
        passages = pipeline.search(
            question, top_k=k, filters=parse_filters(outlet, since, until), mmr=mmr
        )
    except NewsqaError as error:
        raise fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps([p.to_json() for p in passages], ensure_ascii=False, indent=1))
        return
    if not passages:
        typer.echo("No passages found.")
    for rank, passage in enumerate(passages, start=1):
        article = passage.article
        typer.secho(
            f"{rank}. {article.title or passage.chunk.doc_id}  [{passage.chunk.chunk_id}]",
            bold=True,
        )
        typer.echo(
            f"   {article.source or 'outlet unknown'} · {article.published or 'date unknown'}"
            f" · score {passage.score:.4f}"
        )
        typer.echo("   " + passage.chunk.text.replace("\n", " ")[:400])


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
def info(
    index_dir: IndexDir = None,
    articles: Annotated[bool, typer.Option("--articles", help="List every article.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Describe the index: size, model, index type, outlets and dates."""
    from index.store import IndexStore

    settings = make_settings(index_dir)
    try:
        stored = IndexStore(settings.index_dir).load()
    except NewsqaError as error:
        raise fail(str(error)) from None
    m = stored.manifest
    summary: dict[str, Any] = {
        "index_dir": str(settings.index_dir),
        "version": stored.version,
        "articles": m.n_articles,
        "chunks": m.n_chunks,
        "embed_model": m.embed_model,
        "dim": m.dim,
        "chunk_size": m.chunk_size,
        "chunk_overlap": m.chunk_overlap,
        "index_type": m.index_type,
        "outlets": sorted({a.source for a in stored.articles.values() if a.source}),
    }
    if articles:
        summary["article_list"] = [
            {
                "doc_id": a.doc_id,
                "title": a.title,
                "source": a.source,
                "published": a.published,
                "chunks": len(stored.chunks_of(a.doc_id)),
                "path": a.path,
            }
            for a in stored.articles.values()
        ]
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
        return
    for key, value in summary.items():
        if key == "article_list":
            continue
        typer.echo(f"{key:>14}: {', '.join(value) if isinstance(value, list) else value}")
    for row in summary.get("article_list", []):
        typer.echo(
            f"  {row['doc_id']}  {row['source'] or '-'}  {row['published'] or '-'}  "
            f"{row['chunks']} chunks  {row['title']}"
        )


if __name__ == "__main__":
    app()
