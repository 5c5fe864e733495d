"""Retrieval over the real seed index: FAISS + BM25 fused."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.build import IndexBuilder
from index.embed import Embedder
from index.search import Filters
from index.settings import Settings
from index.stored import bm25_tokenize
from qa.pipeline import Pipeline
from qa.retrieve import fuse_rankings, month_aliases
from tests.conftest import ROOT, SEEDS


@pytest.fixture(scope="module")
def pipeline(seed_index: Settings, embedder: Embedder) -> Pipeline:
    return Pipeline.load(seed_index, embedder)


def test_gift_question_ranks_the_summit_report_first(pipeline: Pipeline) -> None:
    passages = pipeline.search("What gifts did the two leaders exchange?")
    assert passages[0].chunk.doc_id == "002_164cd89d12bb7479"
    assert "glove from a spacesuit" in " ".join(p.chunk.text for p in passages[:2])


def test_ministers_question_finds_belousov(pipeline: Pipeline) -> None:
    passages = pipeline.search("Which ministers travelled with Putin to North Korea?")
    assert passages[0].chunk.doc_id == "003_006df795ca171f94"
    assert "Belousov" in passages[0].chunk.text


def test_passages_are_exact_spans_and_sorted(pipeline: Pipeline) -> None:
    passages = pipeline.search("Russia North Korea cooperation", top_k=10)
    assert len(passages) == 10
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    for p in passages:
        assert (SEEDS / f"{p.chunk.doc_id}.txt").read_text()[
            p.chunk.start : p.chunk.end
        ] == p.chunk.text


def test_outlet_filter_and_mmr(pipeline: Pipeline) -> None:
    only_tass = pipeline.search("Kim visit", filters=Filters(outlets=("tass",)))
    assert only_tass and {p.article.source for p in only_tass} == {"TASS"}
    plain = pipeline.search("Putin Kim summit gifts", top_k=4, mmr=False)
    diverse = pipeline.search("Putin Kim summit gifts", top_k=4, mmr=True)
    assert len({p.chunk.doc_id for p in diverse}) >= len({p.chunk.doc_id for p in plain})
    # No seed has a full date, so a date range can't include any of them.
    assert pipeline.search("Kim", filters=Filters(since=dt.date(2020, 1, 1))) == []


@pytest.mark.parametrize(
    ("filters", "said"),
    [
        (Filters(since=dt.date(2020, 1, 1)),
         "no article on or after 1 January 2020 is indexed (all 5 are without a full date)"),
        (Filters(outlets=("TASS",), until=dt.date(2024, 3, 1)),
         "no TASS article on or before 1 March 2024 is indexed (its only one is without a full "
         "date)"),
        (Filters(outlets=("The Verge",)),
         "No article from The Verge is indexed (outlets here: EurasiaDiary, Sputnik, TASS)."),
    ],
)  # fmt: skip
def test_an_answer_says_what_the_filters_hid(
    pipeline: Pipeline, filters: Filters, said: str
) -> None:
    answer = pipeline.ask("What did the expert say about Kim's visit?", filters=filters)
    assert answer.abstained and not answer.citations
    assert said in answer.answer


def test_a_question_naming_outlets_gets_passages_from_each(
    seed_index: Settings, pipeline: Pipeline
) -> None:
    question = "How did TASS and Sputnik describe the talks?"
    assert pipeline.retriever.named_outlets(question) == ["Sputnik", "TASS"]
    # A name, not a word: lower case doesn't count.
    assert pipeline.retriever.named_outlets("what did tass and sputnik say?") == []
    passages = pipeline.search(question)
    assert {p.article.source for p in passages[:2]} == {"TASS", "Sputnik"}
    assert len({p.chunk.chunk_id for p in passages}) == len(passages)  # interleaved, no repeats
    # Switched off, the outlets' own passages are not pulled up.
    plain = with_retrieval(seed_index, pipeline, outlet_search=False)
    assert plain.retriever.named_outlets(question) == []


def with_retrieval(seed_index: Settings, pipeline: Pipeline, **changes: object) -> Pipeline:
    """The seed index's pipeline with some retrieval settings changed."""
    retrieval = seed_index.retrieval.model_copy(update=changes)
    return Pipeline.load(seed_index.model_copy(update={"retrieval": retrieval}), pipeline.embedder)


def test_a_named_outlets_words_leave_the_bm25_query_once_each(
    seed_index: Settings, pipeline: Pipeline
) -> None:
    """The outlet is searched on its own; as a BM25 word its weight would be how rare the outlet
    is in the index. A second mention is the question's own word and stays."""
    tokens = pipeline.retriever._bm25_tokens("How did TASS describe the talks?")
    assert "tass" not in tokens and "talk" in tokens
    tokens = pipeline.retriever._bm25_tokens("What did TASS say about the TASS reporters?")
    assert tokens.count("tass") == 1
    plain = with_retrieval(seed_index, pipeline, outlet_search=False)
    assert "tass" in plain.retriever._bm25_tokens("How did TASS describe the talks?")


def test_a_named_dates_day_and_year_leave_the_bm25_query_and_its_month_stays(
    seed_index: Settings, pipeline: Pipeline
) -> None:
    """The day is searched on its own; as BM25 words, "2019" and "12" would weigh what they are
    rare in the index. The month stays, in both written forms, and a year named alone stays."""
    known = pipeline.retriever.index.search.document_frequencies()
    assert {"2019", "12", "septemb"} <= set(known)
    tokens = pipeline.retriever._bm25_tokens("What was said on September 12th, 2019 at the talks?")
    assert "2019" not in tokens and "12" not in tokens and "12th" not in tokens
    assert "septemb" in tokens and "talk" in tokens
    assert "2019" in pipeline.retriever._bm25_tokens("What was said at the talks in 2019?")
    plain = with_retrieval(seed_index, pipeline, date_search=False)
    assert "2019" in plain.retriever._bm25_tokens("What was said on September 12, 2019?")


def test_outlets_named_alike_are_searched_in_the_same_order_in_every_process(
    seed_index: Settings, tmp_path: Path
) -> None:
    """Two outlets with names of one length ("The Age", "Fortune"): which is searched first
    once followed the hash seed of the process, so a benchmark's scores moved between runs."""
    import shutil

    index_dir = tmp_path / ".newsqa"
    shutil.copytree(seed_index.index_dir, index_dir)
    settings = seed_index.model_copy(update={"index_dir": index_dir})
    builder = IndexBuilder(settings)
    builder.correct("000_b32fb440e881743b", {"source": "The Age"})
    builder.correct("001_7df2c242344af025", {"source": "Fortune"})
    question = "What did Fortune and The Age report about the visit?"
    runs = [
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ui.cli",
                "search",
                "--json",
                question,
                "--index-dir",
                str(index_dir),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
            env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)},
        )
        for seed in (1, 2, 3, 4)
    ]
    orders = {tuple(p["doc_id"] for p in json.loads(run.stdout)) for run in runs}
    assert len(orders) == 1, orders


def test_a_question_naming_a_full_date_gets_that_days_report(
    tmp_path: Path, embedder: Embedder
) -> None:
    reports = [
        ("2023-10-07", "The port authority said repairs to the pier would start soon."),
        ("2023-10-30", "The port authority said the pier repairs had been delayed again."),
        ("2023-11-02", "Repairs to the pier and the port authority budget were discussed."),
    ]
    corpus = tmp_path / "reports.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps(
                {
                    "title": f"Pier report {day}",
                    "body": body,
                    "url": f"https://x/{day}",
                    "source": "Harbour Wire",
                    "published_at": f"{day}T09:00:00+00:00",
                }
            )
            for day, body in reports
        )
    )
    settings = Settings(index_dir=tmp_path / "ix")
    IndexBuilder(settings, embedder).run([corpus])
    pipeline = Pipeline.load(settings, embedder)
    question = "What did the port authority say about the pier repairs on October 30th, 2023?"
    assert pipeline.search(question)[0].article.published.startswith("2023-10-30")
    assert pipeline.retriever.named_days(question) == [dt.date(2023, 10, 30)]
    # No year, no day: "October 30" is not completed with a guessed year.
    assert pipeline.retriever.named_days("What happened on October 30?") == []


def test_fuse_rankings_weights_each_list() -> None:
    fused = fuse_rankings([([1, 2, 3], 1.0), ([3, 2], 0.5)], k=60)
    assert fused[2] == pytest.approx(1 / 62 + 0.5 / 62)
    assert max(fused, key=fused.__getitem__) == 2


def test_a_month_is_searched_in_both_its_written_forms() -> None:
    # The index keeps "Oct." as "oct" and "October" as "octob"; either finds the other.
    assert set(month_aliases(bm25_tokenize(["Swift on October 12"])[0])) >= {"octob", "oct"}
    assert set(month_aliases(bm25_tokenize(["Sept. 24"])[0])) >= {"sept", "septemb"}


def test_cli_search_json_matches_source_files(seed_index: Settings) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ui.cli",
            "search",
            "--json",
            "-k",
            "5",
            "Which ministers travelled with Putin to North Korea?",
            "--index-dir",
            str(seed_index.index_dir),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=True,
    )
    passages = json.loads(result.stdout)
    assert passages[0]["doc_id"] == "003_006df795ca171f94"
    assert "Belousov" in passages[0]["text"]
    for p in passages:
        assert set(p) == {
            "doc_id",
            "title",
            "source",
            "published",
            "chunk_id",
            "start",
            "end",
            "text",
            "score",
        }
        source = Path(SEEDS / f"{p['doc_id']}.txt").read_bytes().decode("utf-8")
        assert source[p["start"] : p["end"]] == p["text"]


def test_cli_reports_missing_index_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ui.cli",
            "search",
            "anything",
            "--index-dir",
            str(tmp_path / "none"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: No index at")
    assert "Traceback" not in result.stderr
