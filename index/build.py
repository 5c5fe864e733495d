"""Builds or updates the index: load -> clean and chunk -> embed what changed -> store.

Incremental: an article whose text and metadata are unchanged keeps its chunks and vectors, so
re-indexing an unchanged corpus embeds nothing and a changed file re-embeds only its own chunks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.cache import model_cache
from index.chunk import chunk_article, text_for_embedding
from index.documents import CORRECTABLE, Article, Chunk, Correction
from index.embed import Embedder, embedder_identity, load_embedder, token_counter
from index.entities import EntitySpan, find_entities
from index.entities import recipe as entity_recipe
from index.errors import (
    BadCorrectionError,
    IndexCorruptError,
    IndexMissingError,
    UnknownDocumentError,
)
from index.load import Skipped, load_articles
from index.sentences import Sentence, article_sections
from index.settings import Settings
from index.store import open_store
from index.stored import ArticleParts, IndexChanges, StoredIndex
from index.syndication import signature

log = logging.getLogger(__name__)
NO_STORY_TEXT = "no story text to index beyond its headline"


@dataclass(frozen=True, slots=True)
class Conflict:
    """A file whose article id is already indexed from another file that still exists."""

    doc_id: str
    path: str
    indexed_from: str

    def __str__(self) -> str:
        return (
            f"skipped {self.path}: document id '{self.doc_id}' is already indexed from "
            f"{self.indexed_from}; pass --replace to replace it, or rename the file"
        )


@dataclass(slots=True)
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_cached: int = 0  # of chunks_embedded, those whose vectors came from the model cache
    articles_total: int = 0
    chunks_total: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    entity_seconds: float = 0.0
    rebuilt_damaged: str | None = None
    saved: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.moved)


def article_hash(article: Article) -> str:
    digest = hashlib.sha256()
    for part in (article.text, article.title, article.source, article.published, article.author):
        digest.update((part or "").encode("utf-8") + b"\x00")
    return digest.hexdigest()


class IndexBuilder:
    """Owns the writes to one index directory. The embedder is loaded on first need."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.store = open_store(settings)
        self._embedder = embedder
        self._count_tokens: Callable[[str], int] | None = None
        self.cache = model_cache(settings)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            recipe = self.settings.index
            self._embedder = load_embedder(
                recipe.embed_model, recipe.embed_backend, self.settings.index_dir
            )
        return self._embedder

    def run(
        self,
        paths: list[Path],
        prune: bool = False,
        progress: Callable[[int, int], None] | None = None,
        replace: bool = False,
        within: Path | None = None,
    ) -> IndexReport:
        """Indexes the files under `paths`. `progress(done, total)` is called as chunks are embedded.

        An article whose id is already indexed from another file that still exists is a conflict,
        left as it is, unless `replace`: then the new file's article takes its place. With
        `within` (a watched folder), only files inside it are read, once links are followed."""
        started = time.perf_counter()
        report = IndexReport()
        existed = self.settings.index_dir.exists()
        interrupted = False
        try:
            with self.store.writer_lock():
                self._index(paths, prune, progress, replace, report, within)
        except KeyboardInterrupt:
            interrupted = True  # what the models computed stays cached for the next run
            raise
        finally:
            self.cache.close()
            if not existed and not report.saved and not interrupted:
                # Nothing usable in a first batch, or a failure (a full disk): leave no folder
                # behind rather than one that holds only a lock file or a cache.
                shutil.rmtree(self.cache.path.parent, ignore_errors=True)
                (self.settings.index_dir / "LOCK").unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    self.settings.index_dir.rmdir()
        report.seconds = time.perf_counter() - started
        return report

    def _index(
        self,
        paths: list[Path],
        prune: bool,
        progress: Callable[[int, int], None] | None,
        replace: bool,
        report: IndexReport,
        within: Path | None = None,
    ) -> None:
        old = self._load_previous(report)
        recipe = self.settings.index
        loaded = load_articles(paths, recipe.max_file_mb, within, recipe.follow_links_into)
        report.skipped.extend(loaded.skipped)

        articles: dict[str, Article] = dict(old.articles) if old else {}
        hashes: dict[str, str] = dict(old.article_hashes) if old else {}
        corrections: dict[str, Correction] = dict(old.corrections) if old else {}
        owner_of_hash = {digest: doc_id for doc_id, digest in hashes.items()}
        produced: set[str] = set()
        to_chunk: list[Article] = []
        duplicates: list[tuple[int, str]] = []  # (its place in report.skipped, its twin)
        for as_filed in loaded.articles:
            doc_id = as_filed.doc_id
            if doc_id in produced:
                report.skipped.append(
                    Skipped(as_filed.path, f"duplicate document id '{doc_id}' in this run")
                )
                continue
            previous = articles.get(doc_id)
            correction = corrections.get(doc_id)
            article = correction.apply(as_filed) if correction else as_filed
            digest = article_hash(article)
            old_path = previous.path if previous is not None else article.path
            moved = old_path != article.path
            if moved and Path(old_path).exists():
                if hashes.get(doc_id) == digest:
                    produced.add(doc_id)  # a copy of the indexed file: nothing to do
                    report.unchanged.append(doc_id)
                    continue
                if not replace:
                    report.conflicts.append(Conflict(doc_id, article.path, old_path))
                    log.warning("%s", report.conflicts[-1])
                    continue
                # The new file takes the old one's place, as it says: a hand-made correction
                # was about the old file.
                corrections.pop(doc_id, None)
                article, correction = as_filed, None
                digest = article_hash(article)
            if correction is not None:
                corrections[doc_id] = correction.filed_as(as_filed)
            twin = owner_of_hash.get(digest)
            if twin is not None and twin != doc_id:
                duplicates.append((len(report.skipped), twin))
                report.skipped.append(
                    Skipped(article.path, f"same text as already indexed '{twin}' (duplicate)")
                )
                continue
            produced.add(doc_id)
            owner_of_hash[digest] = doc_id
            if previous is not None and hashes.get(doc_id) == digest:
                if moved:
                    # Same text at a new place (the folder was moved): keep the vectors,
                    # record the new path so --prune doesn't think the file is gone.
                    articles[doc_id] = article
                    report.moved.append(doc_id)
                else:
                    report.unchanged.append(doc_id)
                continue
            (report.updated if previous is not None else report.added).append(doc_id)
            articles[doc_id] = article
            hashes[doc_id] = digest
            to_chunk.append(article)

        if prune:
            for doc_id, article in list(articles.items()):
                file_gone = not Path(article.path).exists()
                record_gone = article.path in loaded.files_seen and doc_id not in produced
                if file_gone or record_gone:
                    report.removed.append(doc_id)
                    del articles[doc_id]
                    del hashes[doc_id]
        for skipped in report.skipped[len(loaded.skipped) :]:
            log.warning("%s", skipped)

        regroup = old is not None and (
            old.manifest.copy_threshold != self.settings.index.copy_threshold
            or len(old.signatures) != len(old.articles)
        )
        if old is not None and not report.changed and not regroup:
            self.store.tidy()  # nothing to write, but an interrupted write may have left rows
            report.articles_total = len(old.articles)
            report.chunks_total = len(old.chunks)
            return

        renewed = self._assemble(old, articles, to_chunk, report, progress)
        for doc_id in set(hashes) - set(articles):
            del hashes[doc_id]  # skipped while chunking
        for place, twin in duplicates:
            if twin not in articles:
                # Its twin had nothing to index either: say why, not "already indexed".
                path = report.skipped[place].path
                report.skipped[place] = Skipped(path, NO_STORY_TEXT)
        if old is None and not articles:
            return  # nothing usable and no index yet: the caller says so
        self._write(old, articles, hashes, corrections, renewed)
        self.store.tidy()
        report.saved = True
        report.articles_total = len(articles)
        kept = sum(
            1
            for c in (old.chunks if old else [])
            if c.doc_id in articles and c.doc_id not in renewed
        )
        report.chunks_total = kept + sum(len(parts.chunks) for parts in renewed.values())

    def remove(self, doc_ids: list[str]) -> IndexReport:
        started = time.perf_counter()
        report = IndexReport()
        if not self.store.exists():
            self.store.load()  # says there is no index there, before a lock file makes a folder
        with self.store.writer_lock():
            old = self.store.load()
            unknown = [doc_id for doc_id in doc_ids if doc_id not in old.articles]
            if unknown:
                raise UnknownDocumentError(
                    f"Not in the index: {', '.join(unknown)}. `newsqa info --articles` lists the ids."
                )
            articles = {k: v for k, v in old.articles.items() if k not in doc_ids}
            hashes = {k: v for k, v in old.article_hashes.items() if k in articles}
            self._write(old, articles, hashes, old.corrections, {})
            report.removed = list(doc_ids)
            report.articles_total, report.chunks_total, report.saved = (
                len(articles),
                sum(1 for chunk in old.chunks if chunk.doc_id in articles),
                True,
            )
        report.seconds = time.perf_counter() - started
        return report

    def correct(self, doc_id: str, values: dict[str, str | None], reset: bool = False) -> Article:
        """Sets an article's outlet ("source") and/or date ("published", YYYY-MM-DD) by hand, or,
        with `reset`, goes back to what its file says. The correction is kept when the article's
        file is indexed again. Nothing is re-embedded: only BM25 reads the outlet."""
        if not self.store.exists():
            self.store.load()  # says there is no index there, before a lock file makes a folder
        checked = {name: checked_value(name, value) for name, value in values.items()}
        with self.store.writer_lock():
            old = self.store.load()
            article = old.articles.get(doc_id)
            if article is None:
                raise UnknownDocumentError(f"No article with the id '{doc_id}' is indexed.")
            corrections = dict(old.corrections)
            previous = corrections.pop(doc_id, None)
            as_filed = previous.undo(article) if previous else article
            if not reset:
                wanted = {**(previous.values if previous else {}), **checked}
                changed = {k: v for k, v in wanted.items() if getattr(as_filed, k) != v}
                if changed:
                    corrections[doc_id] = Correction(changed).filed_as(as_filed)
            article = corrections[doc_id].apply(as_filed) if doc_id in corrections else as_filed
            articles = {**old.articles, doc_id: article}
            hashes = {**old.article_hashes, doc_id: article_hash(article)}
            self._write(old, articles, hashes, corrections, {})
        return article

    def _load_previous(self, report: IndexReport) -> StoredIndex | None:
        """The current index if it is sound and was made the same way; otherwise start afresh."""
        if not self.store.exists():
            return None
        try:
            old = self.store.load()
        except IndexMissingError:
            return None
        except IndexCorruptError as error:
            log.warning("%s Rebuilding it from the files given.", error)
            report.rebuilt_damaged = str(error)
            self.store.reset()
            return None
        recipe = self.settings.index
        if not old.manifest.same_recipe(
            recipe.embed_model, recipe.chunk_size, recipe.chunk_overlap
        ):
            log.warning(
                "The index was built with other model or chunk settings; its articles are "
                "re-chunked and re-embedded."
            )
            old.article_hashes = {doc_id: "stale" for doc_id in old.articles}
        return old

    def _assemble(
        self,
        old: StoredIndex | None,
        articles: dict[str, Article],
        to_chunk: list[Article],
        report: IndexReport,
        progress: Callable[[int, int], None] | None,
    ) -> dict[str, ArticleParts]:
        """New and changed articles are chunked and embedded; the others keep their stored rows.
        An article with nothing to index is dropped from `articles` and said so in the report."""
        recipe = self.settings.index
        if old is not None and any(v == "stale" for v in old.article_hashes.values()):
            # Settings changed: every article goes through chunking and embedding again.
            to_chunk = list(articles.values())
        length = self._token_counter()
        new_chunks = []
        for article in list(to_chunk):
            pieces = chunk_article(article, recipe.chunk_size, recipe.chunk_overlap, length)
            if not pieces:
                # Only a headline, or only lines the cleaner drops: nothing a question could find.
                skipped = Skipped(article.path, NO_STORY_TEXT)
                log.warning("%s", skipped)
                report.skipped.append(skipped)
                for done in (report.added, report.updated):
                    if article.doc_id in done:
                        done.remove(article.doc_id)
                del articles[article.doc_id]
                to_chunk.remove(article)
            new_chunks.extend(pieces)
        if not new_chunks:
            return {}
        texts = [text_for_embedding(articles[c.doc_id], c) for c in new_chunks]
        entities_started = time.perf_counter()
        sentences = NewSentences(to_chunk, self._find_entities)
        report.entity_seconds = time.perf_counter() - entities_started
        spans = [
            sentences.claim(chunk, len(text) - len(chunk.text))
            for chunk, text in zip(new_chunks, texts, strict=True)
        ]
        new_vectors, span_vectors = self._embed(texts, spans, progress, report)
        report.chunks_embedded = len(new_chunks)
        sentences.fill(new_chunks, span_vectors)
        dim = new_vectors.shape[1]
        rows_of: dict[str, list[int]] = {}
        for row, chunk in enumerate(new_chunks):
            rows_of.setdefault(chunk.doc_id, []).append(row)
        renewed = {}
        for article in to_chunk:
            rows = rows_of[article.doc_id]
            sentence_spans, sentence_vectors, entities = sentences.of(article.doc_id, dim)
            renewed[article.doc_id] = ArticleParts(
                [new_chunks[i] for i in rows],
                new_vectors[rows].astype(np.float32),
                sentence_spans,
                sentence_vectors,
                entities,
                signature(article, sentences.sections(article.doc_id)),
            )
        return renewed

    def _token_counter(self) -> Callable[[str], int]:
        if self._count_tokens is None:
            self._count_tokens = token_counter(self.settings.index.embed_model)
        return self._count_tokens

    def _embedder_identity(self) -> str:
        """The cache's name for the embedder, known without loading its model when none was given."""
        if self._embedder is not None:
            return self._embedder.identity
        recipe = self.settings.index
        return embedder_identity(recipe.embed_model, recipe.embed_backend)

    def _embed(
        self,
        texts: list[str],
        spans: list[list[tuple[int, int]]],
        progress: Callable[[int, int], None] | None,
        report: IndexReport,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's unit vector and sentence sums: from the model cache where it holds them
        (the model is then not even loaded), from the model for the rest, which the cache keeps."""
        identity = self._embedder_identity()
        cached = self.cache.embeddings(identity, texts, spans)
        missing = [row for row, found in enumerate(cached) if found is None]
        report.chunks_cached = len(texts) - len(missing)
        if progress and report.chunks_cached:
            progress(report.chunks_cached, len(texts))
        if missing:
            _ = self.embedder  # load the model first so the embedding time is the encoding alone
            embed_started = time.perf_counter()
            batch = self.settings.index.embed_batch_size
            # Embed in slices so a progress bar moves, each several model batches; each slice
            # goes into the cache as it is done, so an interrupted build keeps what it computed.
            step = batch * 8
            for offset in range(0, len(missing), step):
                rows = missing[offset : offset + step]
                slice_texts, slice_spans = [texts[r] for r in rows], [spans[r] for r in rows]
                vectors, sums = self.embedder.embed_spans(
                    slice_texts, slice_spans, batch_size=batch
                )
                self.cache.keep_embeddings(identity, slice_texts, slice_spans, vectors, sums)
                for row, vector, own_sums in zip(rows, vectors, sums, strict=True):
                    cached[row] = (vector, own_sums)
                if progress:
                    progress(report.chunks_cached + offset + len(rows), len(texts))
            report.embed_seconds = time.perf_counter() - embed_started
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32), []
        found = [pair for pair in cached if pair is not None]
        vectors = np.vstack([vector for vector, _ in found]).astype(np.float32)
        return vectors, [own_sums for _, own_sums in found]

    def _find_entities(self, texts: list[str]) -> list[list[EntitySpan]]:
        """Each text's entities: from the model cache where it holds them, else the recogniser."""
        recipe = entity_recipe()
        cached = self.cache.entities(recipe, texts)
        missing = [row for row, found in enumerate(cached) if found is None]
        if missing:
            wanted = [texts[row] for row in missing]
            found = find_entities(wanted)
            self.cache.keep_entities(recipe, wanted, found)
            for row, rows in zip(missing, found, strict=True):
                cached[row] = rows
        return [rows or [] for rows in cached]

    def _write(
        self,
        old: StoredIndex | None,
        articles: dict[str, Article],
        hashes: dict[str, str],
        corrections: dict[str, Correction],
        renewed: dict[str, ArticleParts],
    ) -> None:
        dim = old.manifest.dim if old is not None and old.manifest.dim else 0
        if renewed:
            dim = next(iter(renewed.values())).vectors.shape[1]
        self.store.write(
            old,
            IndexChanges(
                self.settings.index,
                dim or self.embedder.dim,
                articles,
                hashes,
                {doc_id: c for doc_id, c in corrections.items() if doc_id in articles},
                renewed,
            ),
        )


def checked_value(name: str, value: str | None) -> str | None:
    """A hand-set outlet or date, tidied; an error in plain words when it can't be one."""
    if name not in CORRECTABLE:
        raise BadCorrectionError(f"Only the outlet and the date can be corrected, not '{name}'.")
    value = " ".join((value or "").split()) or None
    if value is None:
        return None  # unknown
    if name == "source":
        if len(value) > 200:
            raise BadCorrectionError("An outlet name can be at most 200 characters long.")
        return value
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadCorrectionError(
            f"A publication date must be a real day written as YYYY-MM-DD, like 2024-05-01; "
            f"'{value[:40]}' is not."
        ) from None


class NewSentences:
    """The sentences of the articles being (re-)embedded, the chunk each takes its vector from,
    and their entities.

    A sentence takes its vector from the first chunk that holds it whole: the chunk pass returns
    the sum of that sentence's token vectors (index.embedding_model.span_sums), at no extra
    model cost.
    Entities are found per paragraph (the sentences of a section up to a line break), so the
    recogniser reads each sentence in its context, and a paragraph met again (in a copy under
    other boilerplate, in an edited article, in another article quoting it) comes from the model
    cache; an entity that runs across a sentence boundary is dropped.
    """

    def __init__(
        self, articles: list[Article], tag: Callable[[list[str]], list[list[EntitySpan]]]
    ) -> None:
        self._tag = tag
        self._sentences: dict[str, list[tuple[int, Sentence]]] = {}
        self._sections: dict[str, list[list[Sentence]]] = {}
        paragraphs: list[tuple[str, list[Sentence]]] = []
        for article in articles:
            runs = self._sections[article.doc_id] = article_sections(article)
            self._sentences[article.doc_id] = [
                (number, sentence) for number, run in enumerate(runs) for sentence in run
            ]
            paragraphs.extend(
                (article.doc_id, paragraph)
                for run in runs
                for paragraph in split_paragraphs(run, article.text)
            )
        self._entities = self._find_entities(paragraphs, {a.doc_id: a.text for a in articles})
        self._provider: dict[str, list[int]] = {}  # chunk_id -> positions of its sentences
        self._taken: set[tuple[str, int]] = set()
        self._vectors: dict[tuple[str, int], np.ndarray] = {}

    def _find_entities(
        self, paragraphs: list[tuple[str, list[Sentence]]], texts: dict[str, str]
    ) -> dict[str, list[tuple[int, int, int, int]]]:
        """doc_id -> (sentence position, label, start, end) rows, in sentence order."""
        found = self._tag([texts[doc_id][run[0].start : run[-1].end] for doc_id, run in paragraphs])
        rows: dict[str, list[tuple[int, int, int, int]]] = {}
        positions = {
            doc_id: {sentence.start: p for p, (_, sentence) in enumerate(sentences)}
            for doc_id, sentences in self._sentences.items()
        }
        for (doc_id, run), entities in zip(paragraphs, found, strict=True):
            offset = run[0].start
            for start, end, label in entities:
                start, end = start + offset, end + offset
                holder = next((s for s in run if s.start <= start and end <= s.end), None)
                if holder is not None:
                    rows.setdefault(doc_id, []).append(
                        (positions[doc_id][holder.start], label, start, end)
                    )
        return rows

    def sections(self, doc_id: str) -> list[list[Sentence]]:
        """The article's article_sections, as they were found once for all the uses above."""
        return self._sections[doc_id]

    def claim(self, chunk: Chunk, prefix: int) -> list[tuple[int, int]]:
        """Spans, in the chunk's embedding text (`prefix` characters of headline first), of the
        sentences that take their vectors from this chunk."""
        spans, positions = [], []
        shift = prefix - chunk.start
        for position, (_, sentence) in enumerate(self._sentences.get(chunk.doc_id, [])):
            whole = chunk.start <= sentence.start and sentence.end <= chunk.end
            if whole and (chunk.doc_id, position) not in self._taken:
                self._taken.add((chunk.doc_id, position))
                positions.append(position)
                spans.append((sentence.start + shift, sentence.end + shift))
        self._provider[chunk.chunk_id] = positions
        return spans

    def fill(self, chunks: list[Chunk], sums: list[np.ndarray]) -> None:
        for chunk, chunk_sums in zip(chunks, sums, strict=True):
            for position, vector in zip(self._provider[chunk.chunk_id], chunk_sums, strict=True):
                self._vectors[(chunk.doc_id, position)] = vector

    def of(self, doc_id: str, dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The article's (section, start, end) rows, vectors (zero where no chunk held one) and
        (sentence position, label, start, end) entities."""
        sentences = self._sentences.get(doc_id, [])
        spans = np.array([(n, s.start, s.end) for n, s in sentences], dtype=np.int64)
        vectors = np.zeros((len(sentences), dim), dtype=np.float16)
        for position in range(len(sentences)):
            vector = self._vectors.get((doc_id, position))
            if vector is not None:
                vectors[position] = vector
        entities = np.array(self._entities.get(doc_id, []), dtype=np.int32).reshape(-1, 4)
        return spans.reshape(-1, 3), vectors, entities


def split_paragraphs(sentences: list[Sentence], text: str) -> list[list[Sentence]]:
    """A section's sentences in paragraphs: a new one wherever a line break parts two sentences."""
    paragraphs: list[list[Sentence]] = []
    for sentence in sentences:
        if paragraphs and "\n" not in text[paragraphs[-1][-1].end : sentence.start]:
            paragraphs[-1].append(sentence)
        else:
            paragraphs.append([sentence])
    return paragraphs
