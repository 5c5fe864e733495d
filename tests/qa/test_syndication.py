"""Syndicated copies, on a real index: one report from three outlets fills one place among the
top passages, and its citation names the others; a version with a changed figure stays apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.build import IndexBuilder
from index.embed import Embedder
from index.settings import RetrievalSettings, Settings
from index.store import LocalStore
from qa.pipeline import Pipeline
from ui.render import source_cards

STORY = (
    "The ferry line between Glimmerfjord and Skarvøy will close on October 31 after 61 years, "
    "the county transport office said on Tuesday. The new Skarvøy bridge, which opens the same "
    "week, takes cars across the fjord in four minutes, against forty on the ferry. The county "
    "expects about 2,400 vehicles a day on the bridge in its first year. Ferry crews will be "
    "offered jobs on the county's two remaining routes, a spokeswoman for the operator said, and "
    "the old terminal will become a museum of the fjord's boats. Residents of the outer islands, "
    "who still depend on the ferry for their daily shopping, asked the county to keep a smaller "
    "boat running twice a day until the new road to the islands is finished in 2027."
)
QUESTION = "When will the ferry line between Glimmerfjord and Skarvøy close?"


def record(outlet: str, slug: str, body: str, day: str) -> dict[str, str]:
    return {"url": f"https://{slug}.example.com/2025/10/{day}/ferry", "source": outlet,
            "published_at": f"2025-10-{day}", "title": "Glimmerfjord ferry to close", "body": body}  # fmt: skip


@pytest.fixture(scope="module")
def syndicated(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    folder = tmp_path_factory.mktemp("syndicated")
    records = [
        record("Fjord Wire", "fjordwire", STORY, "07"),
        # The same report under other outlets' boilerplate, and with a paragraph more.
        record("Coast Courier", "coastcourier",
               f"By Coast Courier staff\n\n{STORY}\n\nCopyright Fjord Wire. Used with permission.",
               "08"),
        record("Island Post", "islandpost",
               f"{STORY}\n\nThe Island Post will follow the last crossing live on its website.",
               "08"),
        # Another report: the same words, but a different figure inside.
        record("Harbour Daily", "harbourdaily", STORY.replace("2,400 vehicles", "4,200 vehicles"),
               "09"),
        record("Other News", "othernews", "The county budget for 2026 raises spending on roads "
               "and schools, the council said on Monday, after a long debate.", "06"),
    ]  # fmt: skip
    (folder / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    settings = Settings(index_dir=folder / ".newsqa")
    IndexBuilder(settings, embedder).run([folder / "feed.jsonl"])
    return settings


def test_copies_are_grouped_and_a_changed_figure_is_not(syndicated: Settings) -> None:
    index = LocalStore(syndicated.index_dir).load()
    by_outlet = {a.source: a.doc_id for a in index.articles.values()}
    group = set(index.copies[by_outlet["Fjord Wire"]])
    assert group == {by_outlet["Fjord Wire"], by_outlet["Coast Courier"], by_outlet["Island Post"]}
    assert by_outlet["Harbour Daily"] not in index.copies
    assert by_outlet["Other News"] not in index.copies


def test_a_syndicated_story_fills_one_place_with_its_other_outlets(
    syndicated: Settings, embedder: Embedder
) -> None:
    pipeline = Pipeline.load(syndicated, embedder)
    passages = pipeline.search(QUESTION)
    outlets = [p.article.source for p in passages]
    copies = {"Fjord Wire", "Coast Courier", "Island Post"}
    assert len(copies & set(outlets)) == 1  # one copy stands for the three
    assert "Harbour Daily" in outlets  # the other report is still there
    first = next(p for p in passages if p.article.source in copies)
    assert {c.source for c in first.copies} == copies - {first.article.source}

    answer = pipeline.ask(QUESTION)
    cited = next(c for c in answer.citations if c.source in copies)
    assert {a["source"] for a in cited.also_published} == copies - {cited.source}
    card = source_cards([(QUESTION, answer)], dict(pipeline.index.articles))
    assert "Also published by" in card
    for outlet in copies - {cited.source}:
        assert outlet in card

    # Switched off, every copy is ranked on its own.
    apart = Pipeline.load(
        syndicated.model_copy(update={"retrieval": RetrievalSettings(group_copies=False)}),
        embedder,
    )
    assert copies <= {p.article.source for p in apart.search(QUESTION)}


def test_an_index_from_before_signatures_gets_them_on_the_next_run(
    syndicated: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / ".newsqa"
    shutil.copytree(syndicated.index_dir, copy)
    current = copy / "versions" / (copy / "CURRENT").read_text().strip()
    (current / "article_signatures.npy").unlink()
    manifest = json.loads((current / "manifest.json").read_text())
    del manifest["file_sizes"]["article_signatures.npy"]
    manifest.pop("copy_threshold")
    manifest.pop("checksums")  # kept since, for every file
    (current / "manifest.json").write_text(json.dumps(manifest))
    assert LocalStore(copy).load().signatures == {}  # still loads
    feed = next(syndicated.index_dir.parent.glob("feed.jsonl"))
    report = IndexBuilder(Settings(index_dir=copy), embedder).run([feed])
    assert report.saved and report.chunks_embedded == 0  # nothing embedded again
    assert len(LocalStore(copy).load().copies) == 3


def test_a_figure_changed_in_the_lede_is_another_report_a_byline_added_is_not(
    tmp_path: Path, embedder: Embedder
) -> None:
    """Seed 003 as a wire story, a paper's copy with a byline and credit line added, and a
    paper's version whose first sentence says "in 14 years" for "in 24 years"."""
    from tests.conftest import SEEDS

    body = next(SEEDS.glob("003_*.txt")).read_text(encoding="utf-8")
    records = [
        {"url": "https://wire-a.example.com/2024/06/17/putin", "source": "Wire A", "body": body},
        {"url": "https://paper-b.example.com/2024/06/17/putin", "source": "Paper B",
         "body": f"By Jane Doe, Wire A\n\n{body}\n\n(Reporting by Jane Doe; Editing by John Roe)"},
        {"url": "https://paper-c.example.com/2024/06/17/putin", "source": "Paper C",
         "body": body.replace("in 24 years", "in 14 years", 1)},
    ]  # fmt: skip
    assert records[2]["body"] != body
    (tmp_path / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    settings = Settings(index_dir=tmp_path / ".newsqa")
    IndexBuilder(settings, embedder).run([tmp_path / "feed.jsonl"])
    index = LocalStore(settings.index_dir).load()
    by_outlet = {a.source: a for a in index.articles.values()}
    wire, paper_b = by_outlet["Wire A"].doc_id, by_outlet["Paper B"].doc_id
    assert set(index.copies[wire]) == {wire, paper_b}
    assert by_outlet["Paper C"].doc_id not in index.copies
    # The byline is not the copy's headline.
    assert by_outlet["Paper B"].title == by_outlet["Wire A"].title
