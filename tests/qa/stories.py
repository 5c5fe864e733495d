"""Short reports written for a test, indexed for real: the helper the answer tests share."""

import json
from pathlib import Path

from index.build import IndexBuilder
from index.embed import Embedder
from index.settings import Settings
from qa.pipeline import Pipeline

# (url, outlet, published, headline, body)
Story = tuple[str, str, str, str, str]


def pipeline_of(stories: list[Story], folder: Path, embedder: Embedder) -> Pipeline:
    """A real index of `stories` (one JSON Lines feed) in `folder`, and the pipeline over it."""
    feed = folder / "stories.jsonl"
    feed.write_text(
        "".join(
            json.dumps({"url": u, "source": s, "published_at": d, "title": t, "body": b}) + "\n"
            for u, s, d, t, b in stories
        )
    )
    settings = Settings(index_dir=folder / ".newsqa")
    IndexBuilder(settings, embedder).run([feed])
    return Pipeline.load(settings, embedder)
