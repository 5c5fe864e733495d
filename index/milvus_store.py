"""The index in Milvus: a Milvus Lite file (`NEWSQA_STORE__URI=./news.db`) or a Milvus server
or cluster (`NEWSQA_STORE__URI=http://host:19530`), through the same pymilvus client.

Collections, named <prefix>_<name>:
    articles   one row per article: its metadata, content hash and MinHash signature (the
               signature is the row's vector: Milvus wants one in every collection), and the
               write id (`wid`) of its committed rows
    texts      the article's text in pieces of at most TEXT_PIECE characters (a VARCHAR holds
               65,535 bytes; a piece of 16,000 characters is at most 64,000 bytes of UTF-8)
    chunks     spans, outlet and day (for filters), the chunk's stems, its dense vector (HNSW,
               inner product) and its BM25 weights (a sparse vector, inner product)
    sentences  spans, entities and vector of every story sentence

Writes are per article. Every row an article writes carries a fresh write id; the article's own
row, written last, names the write id that counts. A reader takes only rows of the write ids the
article rows name, so it sees an article as before a write or after it, never in between, and
never rows of a writer that died (a SIGKILL leaves rows no article names; the next writer clears
them once they are TIDY_AFTER_S old, so as not to touch a live writer's rows). A batch of
articles is not atomic: a reader may see some of a batch before the rest. Several processes may
write at once; two writing the same article leave it as the later one wrote it.

BM25 is computed here, not by Milvus's BM25 function: the stems are bm25s's (Snowball English,
the same stop words), so both backends match the same words, and Milvus Lite (whose analyzer
ignores stemmers and which counts IDF per segment) ranks like a server. A chunk's sparse vector
holds each stem's term-frequency part, tf / (tf + k1 * (1 - b + b * length / average)), with
the average chunk length when it was written; the question's vector holds the IDF of its stems,
counted over the committed chunks when the index was loaded. Inner product is then BM25 (Lucene
variant, as bm25s). Stems are hashed to 32-bit dimensions; two stems sharing one is possible
but rare (about one pair in 30,000 stems) and only adds a little noise to ranking.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.documents import Article, Chunk, Correction
from index.errors import IndexCorruptError, IndexMissingError, StoreUnavailableError
from index.metadata import full_date
from index.search import Filters, idf
from index.sentences import SentenceTable, no_entities
from index.settings import Settings
from index.stored import (
    FORMAT_VERSION,
    ArticleParts,
    IndexChanges,
    Manifest,
    StoredIndex,
    bm25_text,
    bm25_tokenize,
    stored_parts,
)
from index.syndication import PERMUTATIONS, copy_groups

log = logging.getLogger(__name__)

TEXT_PIECE = 16_000
MAX_VARCHAR = 65_535
TIDY_AFTER_S = 600
LITE_RECONNECT_S = 1.0  # wait before a second try at a Milvus Lite file's channel
K1, B = 1.5, 0.75  # bm25s's defaults, so both backends score alike
HNSW = {"M": 16, "efConstruction": 200}
PAGE = 2_000  # rows per page when a whole collection is read
FETCH = 500  # primary keys per query when rows are fetched by key
CACHED_ROWS = 200_000  # vectors a reader keeps (about 300 MB at 384 dimensions, float32)


def stem_dimension(stem: str) -> int:
    return int.from_bytes(hashlib.blake2b(stem.encode("utf-8"), digest_size=4).digest(), "big")


def term_weights(tokens: list[str], average_length: float) -> dict[int, float]:
    """A chunk's BM25 term-frequency parts by stem dimension."""
    counts = Counter(tokens)
    norm = K1 * ((1 - B) + B * len(tokens) / max(average_length, 1e-9))
    weights: dict[int, float] = {}
    for stem, tf in counts.items():
        dimension = stem_dimension(stem)
        weights[dimension] = weights.get(dimension, 0.0) + tf / (norm + tf)
    return weights


def expression(filters: Filters | None) -> str:
    """The filters as a Milvus boolean expression on the chunk rows ("" for none)."""
    if filters is None or not filters.active:
        return ""
    parts = []
    if filters.outlets:
        names = ", ".join(json.dumps(o.casefold()) for o in filters.outlets)
        parts.append(f"outlet in [{names}]")
    if filters.since:
        parts.append(f'day >= "{filters.since.isoformat()}"')
    if filters.until:
        parts.append(f'day <= "{filters.until.isoformat()}" and day != ""')
    return " and ".join(parts)


def signature_vector(signature: np.ndarray) -> list[float]:
    """A MinHash (32-bit values) as floats that hold it exactly: two 16-bit halves per value."""
    values = np.asarray(signature, dtype=np.uint32)
    halves: list[float] = np.concatenate([values >> 16, values & 0xFFFF]).astype(float).tolist()
    return halves


def signature_from(vector: Sequence[float]) -> np.ndarray:
    halves = np.asarray(vector, dtype=np.float64).astype(np.uint32)
    return (halves[:PERMUTATIONS] << 16) | halves[PERMUTATIONS:]


def safe_uri(uri: str) -> str:
    """The URI without a password in it, for messages and `newsqa info`."""
    return re.sub(r"//[^/@]*@", "//***@", uri)


class MilvusStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.uri = settings.store.uri
        self.prefix = settings.store.collection_prefix
        self._client: Any = None

    # -- connection --------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        uri = self.uri
        remote = uri.startswith(("http://", "https://", "tcp://", "grpc://"))
        if not remote and not uri.endswith(".db"):
            raise StoreUnavailableError(
                f"NEWSQA_STORE__URI={uri!r} is neither a Milvus Lite file (a path ending in .db, "
                "like ./news.db) nor a server address (like http://127.0.0.1:19530)."
            )
        if not remote:
            folder = Path(uri).expanduser().resolve().parent
            if not folder.is_dir():
                raise StoreUnavailableError(
                    f"The folder for the Milvus Lite file {uri} does not exist."
                )
        # Errors are told in newsqa's words: Milvus Lite logs a traceback when it can't open a
        # file, and a stack for each call it doesn't implement (the client falls back).
        for name in ("pymilvus", "grpc._server", "milvus_lite"):
            logging.getLogger(name).setLevel(logging.CRITICAL)

        try:
            try:
                return self._open_client(uri, remote)
            except Exception as error:
                # A new client shares the process's channel to a Milvus Lite file; when that
                # channel has sat idle, the local server closes it ("too_many_pings": gRPC's
                # keepalive) and a client created at that moment fails to connect. The channel
                # reconnects by itself, so one more try after a moment gets through.
                if remote or "Fail connecting to server" not in str(error):
                    raise
                time.sleep(LITE_RECONNECT_S)
                return self._open_client(uri, remote)
        except Exception as error:
            if remote:
                raise StoreUnavailableError(
                    f"Can't reach Milvus at {safe_uri(uri)} ({_reason(error)}). Is the server "
                    "running, and the address and NEWSQA_STORE__TOKEN right?"
                ) from None
            raise StoreUnavailableError(
                f"Can't open the Milvus Lite file {uri} ({_reason(error)}). Milvus Lite lets one "
                "process open a file at a time; if another newsqa is using it, serve it with "
                f"`milvus-lite server --data-dir {uri} --port 19530` and set "
                "NEWSQA_STORE__URI=http://127.0.0.1:19530 for every process."
            ) from None

    def _open_client(self, uri: str, remote: bool) -> Any:
        from pymilvus import MilvusClient

        store = self.settings.store
        return MilvusClient(
            uri=uri if remote else str(Path(uri).expanduser().resolve()),
            token=store.token or "",
            db_name=store.database,
            timeout=10,
        )

    def _name(self, collection: str) -> str:
        return f"{self.prefix}_{collection}"

    @contextlib.contextmanager
    def _talking(self) -> Iterator[None]:
        """Milvus errors in the user's words."""
        try:
            yield
        except (IndexMissingError, IndexCorruptError, StoreUnavailableError):
            raise
        except Exception as error:
            if type(error).__module__.startswith(("pymilvus", "grpc", "milvus_lite")):
                raise StoreUnavailableError(
                    f"Milvus at {safe_uri(self.uri)} failed: {_reason(error)}"
                ) from None
            raise

    # -- reading -----------------------------------------------------------------------------

    def exists(self) -> bool:
        with self._talking():
            return bool(self.client.has_collection(self._name("articles")))

    def _recipe(self) -> dict[str, Any]:
        described = self.client.describe_collection(self._name("chunks"))
        try:
            return dict(json.loads(described["properties"]["newsqa.recipe"]))
        except (KeyError, ValueError):
            raise IndexCorruptError(
                f"The collections in Milvus at {safe_uri(self.uri)} (prefix {self.prefix}) "
                "were not made by newsqa, or are damaged. Use another NEWSQA_STORE__"
                "COLLECTION_PREFIX, or clear them by indexing with a fresh prefix."
            ) from None

    def outdated(self) -> bool:
        with self._talking():
            return bool(self._recipe().get("format_version") != FORMAT_VERSION)

    def recorded_files(self) -> list[Path]:
        with self._talking():
            self._load_collections()
            rows = self._all("articles", ["meta"])
        paths = dict.fromkeys(Path(row["meta"]["path"]) for row in rows)
        return [path for path in paths if path.exists()]

    def load(self) -> StoredIndex:
        with self._talking():
            if not self.exists():
                raise IndexMissingError(
                    f"No index in Milvus at {safe_uri(self.uri)} (collection prefix "
                    f"{self.prefix}). Build one with: newsqa index seeds/ (with the same "
                    "NEWSQA_STORE__URI), or copy a local one: newsqa migrate --to URI"
                )
            self._load_collections()
            return self._load()

    def _load_collections(self) -> None:
        """Milvus serves a collection's rows once it is loaded (again after a restart)."""
        for name in ("articles", "texts", "chunks", "sentences"):
            self.client.load_collection(self._name(name))

    def _load(self) -> StoredIndex:
        recipe = self._recipe()
        if recipe.get("format_version") != FORMAT_VERSION:
            raise IndexCorruptError(
                f"The index in Milvus at {safe_uri(self.uri)} was built by another version of "
                f"newsqa (format {recipe.get('format_version')}, this one reads "
                f"{FORMAT_VERSION}). Index its files again with a fresh "
                "NEWSQA_STORE__COLLECTION_PREFIX."
            )
        committed: dict[str, str] = {}  # doc_id -> wid
        latest = 0  # the last second an article was committed in
        rows_of: dict[str, dict[str, Any]] = {}
        for row in sorted(self._all("articles", ["doc_id", "wid", "written_at", "meta", "signature"]),
                          key=lambda r: (r["meta"].get("order", 0), r["doc_id"])):  # fmt: skip
            committed[row["doc_id"]] = row["wid"]
            rows_of[row["doc_id"]] = row
            latest = max(latest, row["written_at"])
        pieces: dict[str, list[tuple[int, str]]] = {}
        for row in self._all("texts", ["doc_id", "wid", "part", "text"]):
            if committed.get(row["doc_id"]) == row["wid"]:
                pieces.setdefault(row["doc_id"], []).append((row["part"], row["text"]))
        articles: dict[str, Article] = {}
        hashes: dict[str, str] = {}
        corrections: dict[str, Correction] = {}
        signatures: dict[str, np.ndarray] = {}
        for doc_id, row in rows_of.items():
            meta = dict(row["meta"])
            parts = sorted(pieces.get(doc_id, []))
            if len(parts) != meta.pop("pieces"):
                log.warning("Milvus: %s is missing text pieces; left out", doc_id)
                continue
            hashes[doc_id] = meta.pop("content_hash")
            correction = meta.pop("correction", None)
            if correction is not None:
                corrections[doc_id] = Correction(**correction)
            meta.pop("order", None)
            articles[doc_id] = Article(doc_id=doc_id, text="".join(t for _, t in parts), **meta)
            signatures[doc_id] = signature_from(row["signature"])
        chunk_rows: dict[str, list[dict[str, Any]]] = {}
        for row in self._all(
            "chunks", ["pk", "doc_id", "wid", "chunk_id", "start", "end", "stems", "length"]
        ):
            if row["doc_id"] in articles and committed[row["doc_id"]] == row["wid"]:
                chunk_rows.setdefault(row["doc_id"], []).append(row)
        sentence_rows: dict[str, list[dict[str, Any]]] = {}
        for row in self._all(
            "sentences", ["pk", "doc_id", "wid", "position", "section", "start", "end", "entities"]
        ):
            if row["doc_id"] in articles and committed[row["doc_id"]] == row["wid"]:
                sentence_rows.setdefault(row["doc_id"], []).append(row)
        chunks: list[Chunk] = []
        chunk_keys: list[str] = []
        frequencies: Counter[str] = Counter()
        total_length = 0
        for doc_id, article in articles.items():
            for row in sorted(chunk_rows.get(doc_id, []), key=lambda r: (r["start"], r["end"])):
                chunks.append(Chunk(row["chunk_id"], doc_id, row["start"], row["end"],
                                    article.text[row["start"] : row["end"]]))  # fmt: skip
                chunk_keys.append(row["pk"])
                frequencies.update(row["stems"].split())
                total_length += row["length"]
        ranges: dict[str, tuple[int, int]] = {}
        spans: list[tuple[int, int, int]] = []
        entities: list[tuple[int, ...]] = []
        sentence_keys: list[str] = []
        for doc_id in articles:
            doc_rows = sorted(sentence_rows.get(doc_id, []), key=lambda r: r["position"])
            first = len(spans)
            ranges[doc_id] = (first, first + len(doc_rows))
            for row in doc_rows:
                spans.append((row["section"], row["start"], row["end"]))
                sentence_keys.append(row["pk"])
                entities.extend((first + row["position"], *e) for e in row["entities"])
        dim = int(recipe["dim"])
        sentences = SentenceTable(
            ranges,
            np.array(spans, dtype=np.int64).reshape(-1, 3),
            RemoteVectors(self, "sentences", "vector", sentence_keys, dim, np.float32),  # type: ignore[arg-type]
            np.array(entities, dtype=np.int32).reshape(-1, 4) if entities else no_entities(),
        )
        manifest = Manifest(
            embed_model=recipe["embed_model"],
            dim=dim,
            chunk_size=recipe["chunk_size"],
            chunk_overlap=recipe["chunk_overlap"],
            n_articles=len(articles),
            n_chunks=len(chunks),
            index_type="milvus: dense HNSW, BM25 sparse inverted",
            created_at=float(recipe.get("created_at", 0.0)),
            copy_threshold=self.settings.index.copy_threshold,
        )
        search = MilvusSearch(
            self,
            chunk_keys,
            dict(frequencies),
            total_length / max(len(chunks), 1),
            RemoteVectors(self, "chunks", "dense", chunk_keys, dim, np.float32),
            {doc_id: committed[doc_id] for doc_id in articles},
            (len(committed), latest),
        )
        copies = copy_groups(articles, signatures, self.settings.index.copy_threshold)
        version = hashlib.sha1(
            "".join(f"{d}:{w};" for d, w in committed.items()).encode()
        ).hexdigest()[:12]
        return StoredIndex(
            manifest, articles, hashes, chunks, search, sentences, version, corrections,
            signatures, copies,
        )  # fmt: skip

    def _all(self, collection: str, fields: list[str], where: str = "") -> list[dict[str, Any]]:
        """Every row of a collection, page by page."""
        iterator = self.client.query_iterator(
            self._name(collection), batch_size=PAGE, filter=where, output_fields=fields
        )
        rows: list[dict[str, Any]] = []
        try:
            while page := iterator.next():
                rows.extend(page)
        finally:
            iterator.close()
        return rows

    def fetch(
        self, collection: str, keys: Sequence[str], fields: list[str]
    ) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), FETCH):
            batch = list(keys[start : start + FETCH])
            with self._talking():
                for row in self.client.query(
                    self._name(collection), ids=batch, output_fields=fields
                ):
                    found[row["pk"]] = row
        return found

    def search(
        self, anns_field: str, query: Any, limit: int, where: str, params: dict[str, Any]
    ) -> list[tuple[str, float]]:
        """(primary key, score) of the best chunks. Only keys come back: Milvus Lite spends
        about 0.1 ms on each field of each hit it returns, and few hits are shown."""
        with self._talking():
            hits = self.client.search(
                self._name("chunks"),
                data=[query],
                anns_field=anns_field,
                limit=limit,
                filter=where,
                output_fields=["pk"],
                search_params={"metric_type": "IP", "params": params},
            )
        return [(hit["pk"], float(hit["distance"])) for hit in hits[0]]

    # -- writing -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        # No lock: writes are per article (see the module's docstring), so writers need not wait.
        yield

    def write(
        self, old: StoredIndex | None, changes: IndexChanges, average_length: float | None = None
    ) -> None:
        """`average_length`: the average chunk length (in stems) BM25 weights are made with;
        by default that of the index read plus the new articles."""
        with self._talking():
            self._ensure_collections(changes)
            self._write(old, changes, average_length)
            # Seal what was written into segments with their indexes built: Milvus Lite
            # searches unsealed rows by brute force, rebuilding a sparse index each query.
            for name in ("texts", "chunks", "sentences", "articles"):
                self.client.flush(self._name(name))

    def _write(self, old: StoredIndex | None, changes: IndexChanges, average: float | None) -> None:
        articles = changes.articles
        previous = old.articles if old is not None else {}
        old_hashes = old.article_hashes if old is not None else {}
        old_corrections = old.corrections if old is not None else {}
        # Removed: what this writer read and dropped; an article another writer added since
        # is not in `old`, so it stays.
        for doc_id in set(previous) - set(articles):
            self._delete_article(doc_id)
        changed = {
            doc_id: position
            for position, (doc_id, article) in enumerate(articles.items())
            if doc_id in changes.renewed
            or doc_id not in previous
            or previous[doc_id] != article
            or old_hashes.get(doc_id) != changes.hashes[doc_id]
            or old_corrections.get(doc_id) != changes.corrections.get(doc_id)
        }
        parts_of = {
            # A new article always comes with its parts; a known one may change metadata only.
            doc_id: changes.renewed[doc_id]
            if doc_id in changes.renewed or old is None
            else stored_parts(old, doc_id)
            for doc_id in changed
        }
        # Each chunk's stems, once: for its BM25 weights, and for the average length they use.
        tokens_of = {
            doc_id: bm25_tokenize([bm25_text(articles[doc_id], c) for c in parts.chunks])
            for doc_id, parts in parts_of.items()
        }
        if average is None:
            lengths, count = 0.0, 0
            if old is not None:
                search = old.search
                assert isinstance(search, MilvusSearch)
                lengths, count = search.average_length * len(old.chunks), len(old.chunks)
            added = [len(t) for d in changed if d not in previous for t in tokens_of[d]]
            average = (lengths + sum(added)) / max(count + len(added), 1)
        order = time.time_ns()
        for doc_id, position in changed.items():
            self._write_article(
                old, changes, doc_id, parts_of[doc_id], tokens_of[doc_id], average, order + position
            )

    def _write_article(
        self,
        old: StoredIndex | None,
        changes: IndexChanges,
        doc_id: str,
        parts: ArticleParts,
        tokens: list[list[str]],
        average_length: float,
        order: int,
    ) -> None:
        article = changes.articles[doc_id]
        wid = uuid.uuid4().hex[:16]
        written_at = int(time.time())
        common = {"doc_id": doc_id, "wid": wid, "written_at": written_at}
        text = article.text
        pieces = [text[i : i + TEXT_PIECE] for i in range(0, len(text), TEXT_PIECE)] or [""]
        self._insert("texts", [
            {**common, "pk": f"{wid}:{n}", "part": n, "text": piece, "unused": [0.0, 0.0]}
            for n, piece in enumerate(pieces)
        ])  # fmt: skip
        published = full_date(article.published)
        chunk_rows = []
        for chunk, vector, stems_of_chunk in zip(parts.chunks, parts.vectors, tokens, strict=True):
            stems = " ".join(dict.fromkeys(stems_of_chunk))
            chunk_rows.append({
                **common,
                "pk": f"{wid}:{chunk.chunk_id}",
                "chunk_id": chunk.chunk_id,
                "start": chunk.start,
                "end": chunk.end,
                "outlet": (article.source or "").casefold()[:512],
                "day": published.isoformat() if published else "",
                "stems": stems[:MAX_VARCHAR],
                "length": len(stems_of_chunk),
                "dense": np.asarray(vector, dtype=np.float32).tolist(),
                "bm25": term_weights(stems_of_chunk, average_length) or {0: 0.0},
            })  # fmt: skip
        self._insert("chunks", chunk_rows)
        by_sentence: dict[int, list[list[int]]] = {}
        for position, label, start, end in np.asarray(parts.entities).reshape(-1, 4).tolist():
            by_sentence.setdefault(position, []).append([label, start, end])
        self._insert("sentences", [
            {
                **common,
                "pk": f"{wid}:{position}",
                "position": position,
                "section": int(section),
                "start": int(start),
                "end": int(end),
                "entities": by_sentence.get(position, []),
                "vector": np.asarray(parts.sentence_vectors[position], np.float32).tolist(),
            }
            for position, (section, start, end) in enumerate(np.asarray(parts.sentence_spans).tolist())
        ])  # fmt: skip
        correction = changes.corrections.get(doc_id)
        meta = {
            "path": article.path,
            "title": article.title,
            "source": article.source,
            "published": article.published,
            "author": article.author,
            "url": article.url,
            "content_hash": changes.hashes[doc_id],
            "pieces": len(pieces),
            "order": order,
            **({"correction": {"values": correction.values, "as_filed": correction.as_filed}}
               if correction else {}),
        }  # fmt: skip
        # The commit: from here on readers take this write id's rows for the article.
        self.client.upsert(self._name("articles"), [{
            **common, "pk": doc_id, "signature": signature_vector(parts.signature), "meta": meta,
        }])  # fmt: skip
        previous_wid = self._committed_before(old, doc_id)
        if previous_wid:
            for name in ("texts", "chunks", "sentences"):
                self.client.delete(self._name(name), filter=f'wid == "{previous_wid}"')

    def _committed_before(self, old: StoredIndex | None, doc_id: str) -> str | None:
        if old is None or doc_id not in old.articles:
            return None
        search = old.search
        assert isinstance(search, MilvusSearch)
        return search.wid_of.get(doc_id)

    def _delete_article(self, doc_id: str) -> None:
        quoted = json.dumps(doc_id)
        self.client.delete(self._name("articles"), filter=f"doc_id == {quoted}")
        for name in ("texts", "chunks", "sentences"):
            self.client.delete(self._name(name), filter=f"doc_id == {quoted}")

    def _insert(self, collection: str, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), PAGE):
            self.client.insert(self._name(collection), rows[start : start + PAGE])

    def tidy(self) -> None:
        """Deletes rows of writes that never committed (a writer killed mid-way), once they are
        old enough that no live writer can still be about to commit them. A write puts its text
        pieces in first, so the texts collection (a row or two an article) names them all."""
        with self._talking():
            self._load_collections()
            committed = {row["wid"] for row in self._all("articles", ["wid"])}
            cutoff = int(time.time()) - TIDY_AFTER_S
            stale = sorted(
                {row["wid"] for row in self._all("texts", ["wid"], where=f"written_at < {cutoff}")}
                - committed
            )
            for start in range(0, len(stale), FETCH):
                listed = ", ".join(f'"{wid}"' for wid in stale[start : start + FETCH])
                for name in ("texts", "chunks", "sentences"):
                    self.client.delete(self._name(name), filter=f"wid in [{listed}]")

    def changed_since(self, index: StoredIndex) -> bool:
        """Cheap enough to ask every few seconds: the article count, and the articles committed
        in or after the last second the index knows of."""
        search = index.search
        assert isinstance(search, MilvusSearch)
        count, latest = search.articles_seen
        with self._talking():
            name = self._name("articles")
            self.client.load_collection(name)
            counted = self.client.query(name, filter="", output_fields=["count(*)"])
            if int(counted[0]["count(*)"]) != count:
                return True
            recent = self.client.query(
                name, filter=f"written_at >= {latest}", output_fields=["doc_id", "wid"]
            )
        return any(search.wid_of.get(row["doc_id"]) != row["wid"] for row in recent)

    def reset(self) -> None:
        with self._talking():
            for name in ("articles", "texts", "chunks", "sentences"):
                if self.client.has_collection(self._name(name)):
                    self.client.drop_collection(self._name(name))

    def describe(self) -> dict[str, Any]:
        with self._talking():
            collections = {}
            for name in ("articles", "texts", "chunks", "sentences"):
                full = self._name(name)
                stats = self.client.get_collection_stats(full)
                indexes = []
                for field in self.client.list_indexes(full):
                    described = self.client.describe_index(full, index_name=field)
                    indexes.append(
                        f"{described.get('field_name', field)}: {described.get('index_type')}/{described.get('metric_type')}"
                    )
                collections[full] = {"rows": int(stats.get("row_count", 0)), "indexes": indexes}
            return {
                "backend": "milvus lite" if self.uri.endswith(".db") else "milvus",
                "location": safe_uri(self.uri),
                "database": self.settings.store.database,
                "index types": "dense HNSW (inner product), BM25 sparse inverted (inner product)",
                "collections": collections,
            }

    def _ensure_collections(self, changes: IndexChanges) -> None:
        """Creates the collections on the first write; another writer may be doing the same."""
        from pymilvus import DataType

        recipe = changes.recipe
        wanted = {
            "format_version": FORMAT_VERSION,
            "embed_model": recipe.embed_model,
            "dim": changes.dim,
            "chunk_size": recipe.chunk_size,
            "chunk_overlap": recipe.chunk_overlap,
        }
        if self.client.has_collection(self._name("chunks")):
            stored = self._recipe()
            if {k: stored.get(k) for k in wanted} != wanted:
                # Other model or chunk settings: the builder re-embedded every article.
                self.reset()

        def schema(
            vectors: list[tuple[str, Any, int | None]],
            fields: list[tuple[str, Any, dict[str, Any]]],
        ) -> Any:
            made = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
            made.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=1024)
            made.add_field("doc_id", DataType.VARCHAR, max_length=1024)
            made.add_field("wid", DataType.VARCHAR, max_length=32)
            made.add_field("written_at", DataType.INT64)
            for name, kind, options in fields:
                made.add_field(name, kind, **options)
            for name, kind, dim in vectors:
                made.add_field(name, kind, **({"dim": dim} if dim else {}))
            return made

        text = {"max_length": MAX_VARCHAR}
        number: dict[str, Any] = {}
        layouts: dict[str, tuple[list[Any], list[Any], list[Any]]] = {
            "articles": (
                [("signature", DataType.FLOAT_VECTOR, 2 * PERMUTATIONS)],
                [("meta", DataType.JSON, number)],
                [("signature", "FLAT", "L2", {})],
            ),
            "texts": (
                [("unused", DataType.FLOAT_VECTOR, 2)],
                [("part", DataType.INT64, number), ("text", DataType.VARCHAR, text)],
                [("unused", "FLAT", "L2", {})],
            ),
            "chunks": (
                [
                    ("dense", DataType.FLOAT_VECTOR, changes.dim),
                    ("bm25", DataType.SPARSE_FLOAT_VECTOR, None),
                ],
                [
                    ("chunk_id", DataType.VARCHAR, {"max_length": 1100}),
                    ("start", DataType.INT64, number),
                    ("end", DataType.INT64, number),
                    ("outlet", DataType.VARCHAR, {"max_length": 2048}),
                    ("day", DataType.VARCHAR, {"max_length": 10}),
                    ("stems", DataType.VARCHAR, text),
                    ("length", DataType.INT64, number),
                ],
                [("dense", "HNSW", "IP", HNSW), ("bm25", "SPARSE_INVERTED_INDEX", "IP", {})],
            ),
            "sentences": (
                [("vector", DataType.FLOAT_VECTOR, changes.dim)],
                [
                    ("position", DataType.INT64, number),
                    ("section", DataType.INT64, number),
                    ("start", DataType.INT64, number),
                    ("end", DataType.INT64, number),
                    ("entities", DataType.JSON, number),
                ],
                [("vector", "FLAT", "IP", {})],
            ),
        }
        # The articles collection last: load() takes its existence to mean an index is there.
        for name in ("texts", "chunks", "sentences", "articles"):
            vectors, fields, indexes = layouts[name]
            params = self.client.prepare_index_params()
            for field, kind, metric, options in indexes:
                params.add_index(field, index_type=kind, metric_type=metric, params=options)
            properties = (
                {"newsqa.recipe": json.dumps({**wanted, "created_at": time.time()})}
                if name == "chunks" else {}
            )  # fmt: skip
            if not self.client.has_collection(self._name(name)):
                with contextlib.suppress(Exception):  # made by another writer meanwhile
                    self.client.create_collection(
                        self._name(name),
                        schema=schema(vectors, fields),
                        index_params=params,
                        consistency_level="Strong",
                        properties=properties,
                    )
            self.client.load_collection(self._name(name))


class RemoteVectors:
    """Rows of a vector field, fetched from Milvus by primary key as they are asked for and
    kept: a question reads the vectors of a few dozen chunks and sentences, not the table."""

    def __init__(
        self, store: MilvusStore, collection: str, field: str, keys: list[str], dim: int, dtype: Any
    ) -> None:
        self.store, self.collection, self.field = store, collection, field
        self.keys, self.dim, self.dtype = keys, dim, dtype
        self._cache: dict[int, np.ndarray] = {}

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.keys), self.dim)

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, rows: Any) -> np.ndarray:
        if isinstance(rows, slice):
            wanted = list(range(*rows.indices(len(self.keys))))
        elif isinstance(rows, (int, np.integer)):
            single: np.ndarray = self[[int(rows)]][0]
            return single
        else:
            wanted = [int(r) for r in rows]
        missing = sorted({r for r in wanted if r not in self._cache})
        if missing:
            if len(self._cache) > CACHED_ROWS:
                self._cache.clear()
            found = self.store.fetch(self.collection, [self.keys[r] for r in missing], [self.field])
            for row in missing:
                hit = found.get(self.keys[row])
                # Gone: another writer replaced the article since this index was loaded.
                vector = hit[self.field] if hit is not None else np.zeros(self.dim)
                self._cache[row] = np.asarray(vector, dtype=self.dtype)
        if not wanted:
            return np.zeros((0, self.dim), dtype=self.dtype)
        stacked: np.ndarray = np.stack([self._cache[r] for r in wanted])
        return stacked


class MilvusSearch:
    """Dense and BM25 rankings from Milvus, for the chunks of one loaded index."""

    def __init__(
        self,
        store: MilvusStore,
        keys: list[str],
        frequencies: dict[str, int],
        average_length: float,
        chunk_vectors: RemoteVectors,
        wid_of: dict[str, str],
        articles_seen: tuple[int, int],
    ) -> None:
        self.store = store
        self.row_of = {key: row for row, key in enumerate(keys)}
        self.wid_of = wid_of  # doc_id -> the write id its rows carry
        self.articles_seen = articles_seen  # (article rows, last second one was committed in)
        self.frequencies = frequencies
        self.average_length = average_length
        self.chunk_vectors = chunk_vectors

    def _rows(self, hits: Iterable[tuple[str, float]], depth: int) -> list[tuple[int, float]]:
        # A hit outside this index (written after it was loaded) is passed over.
        rows = [(self.row_of[key], score) for key, score in hits if key in self.row_of]
        return rows[:depth]

    def dense_rows(
        self, vector: np.ndarray, depth: int, filters: Filters | None, mask: np.ndarray | None
    ) -> list[int]:
        ef = max(256, 4 * depth)
        hits = self.store.search(
            "dense", np.asarray(vector, dtype=np.float32).tolist(), depth,
            expression(filters), {"ef": ef},
        )  # fmt: skip
        return [row for row, _ in self._rows(hits, depth)]

    def bm25_scores(
        self,
        tokens: list[str],
        depth: int,
        filters: Filters | None,
        mask: np.ndarray | None,
        near: np.ndarray | None = None,
    ) -> np.ndarray:
        # Rarity is counted over the whole index (`near` unused): the stems of the chunks near
        # a question would each have to be fetched from Milvus.
        scores = np.zeros(len(self.row_of), dtype=np.float32)
        query: dict[int, float] = {}
        for stem in tokens:
            df = self.frequencies.get(stem, 0)
            if df:
                dimension = stem_dimension(stem)
                query[dimension] = query.get(dimension, 0.0) + idf(df, len(self.row_of))
        if not query:
            return scores
        hits = self.store.search("bm25", query, depth, expression(filters), {})
        for row, score in self._rows(hits, depth):
            scores[row] = score
        return scores

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        return self.chunk_vectors[list(rows)].astype(np.float32)

    def document_frequencies(self) -> dict[str, int]:
        return self.frequencies


def _reason(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return " ".join(str(message).split())[:300]
