"""Follows news feeds: RSS and Atom polled on an interval, each new entry read as an article.

A feed's entries come through feedparser. An entry whose feed carries its full text is used as
it is; otherwise its page is fetched and read by the same HTML path as a dropped .html file
(trafilatura and the page's own metadata). Each new entry is written whole (a temporary name,
then a rename) as a one-record JSON file under INDEX_DIR/feeds/<feed>/, named by its address,
and then indexed like any other file: its document id is its address.

Politeness: one request at a time (the follower is one thread), a delay between two requests to
the same host, conditional GET (ETag, Last-Modified), robots.txt honoured (protego), a
User-Agent naming newsqa; redirects, body sizes and time are bounded. An address that resolves
to a private or loopback network is refused unless the settings allow it (a feed follower on a
server must not become a way into the server's own network).

Nothing is fetched or indexed twice, and nothing is lost: an entry whose file exists is never
fetched again, a text already kept under another address is not kept twice, and on start every
kept file is indexed again (the builder skips what is already in, at no model cost), so a kill
-9 between writing a file and indexing it loses nothing. A feed that fails (down, malformed, an
HTML page where a feed was promised) keeps its row with the error and the time of its last good
poll, and is tried again later, waiting twice as long after each failure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import ipaddress
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from index.errors import NewsqaError
from index.jsonfile import LockedJsonFile
from index.metadata import normalise_date
from index.settings import FeedSettings, Settings

log = logging.getLogger(__name__)

FEEDS_FOLDER = "feeds"
BOOK_FILE = "feeds.json"
MAX_REDIRECTS = 5
# A feed entry's own text is used as the article when it is at least this many words: a
# summary or a teaser is shorter, and then the page is read.
FULL_TEXT_WORDS = 120
# An entry whose text was already kept under another address leaves only this mark.
COPY_SUFFIX = ".copy"
HTML_TYPES = ("text/html", "application/xhtml")


class FeedError(NewsqaError):
    """A feed address that can't be followed, or a request that failed; the message is the line
    shown on the feed's row."""


@dataclass(slots=True)
class Feed:
    """One followed feed and what its last polls found: a row of the Library's feed list."""

    url: str
    added_at: str
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_poll_at: str | None = None
    last_good_poll_at: str | None = None
    error: str | None = None  # the last poll's failure, None once a poll succeeds
    note: str | None = None  # something a good poll wants said ("10,000 entries listed; …")
    failures: int = 0  # polls failed in a row; sets the backoff
    next_poll_at: float = 0.0  # epoch seconds
    entries_kept: int = 0  # entry files written for this feed

    @property
    def key(self) -> str:
        return hashlib.sha1(self.url.encode("utf-8")).hexdigest()[:12]

    @property
    def status(self) -> str:
        return "failing" if self.error else ("ok" if self.last_good_poll_at else "not polled yet")

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


@dataclass(slots=True)
class PollReport:
    feed: Feed
    new_files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line an entry left out, and why
    not_modified: bool = False
    more_waiting: bool = False  # more new entries than one poll reads: polled again soon


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def check_feed_url(url: str) -> str:
    """The address as it will be followed, or a FeedError saying what is wrong with it."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        shown = f"'{parts.scheme}:'" if parts.scheme else "no scheme"
        raise FeedError(f"{url!r} is not a web address (it has {shown}; use http:// or https://)")
    if not parts.hostname:
        raise FeedError(f"{url!r} names no host")
    return url


class FeedBook:
    """The followed feeds of one index, kept in INDEX_DIR/feeds/feeds.json, which `newsqa
    follow` in one process and the follower in the server can both change."""

    def __init__(self, index_dir: Path) -> None:
        self.folder = index_dir / FEEDS_FOLDER
        self.file = LockedJsonFile(self.folder / BOOK_FILE, "the list of followed feeds")

    def feeds(self) -> list[Feed]:
        return rows_to_feeds(self.file.read())

    def get(self, url: str) -> Feed | None:
        return next((f for f in self.feeds() if f.url == url), None)

    def add(self, url: str) -> tuple[Feed, bool]:
        """The feed at `url`, followed from now on; False when it already was."""
        url = check_feed_url(url)

        def add(rows: Any) -> tuple[Any, tuple[Feed, bool]]:
            feeds = rows_to_feeds(rows)
            for feed in feeds:
                if feed.url == url:
                    return None, (feed, False)
            feed = Feed(url=url, added_at=now_iso())
            return [asdict(f) for f in [*feeds, feed]], (feed, True)

        return self.file.change(add)

    def remove(self, url: str) -> Feed:
        def remove(rows: Any) -> tuple[Any, Feed | None]:
            feeds = rows_to_feeds(rows)
            found = next((f for f in feeds if f.url == url.strip()), None)
            if found is None:
                return None, None
            return [asdict(f) for f in feeds if f is not found], found

        removed = self.file.change(remove)
        if removed is None:
            raise FeedError(f"{url!r} is not followed (`newsqa feeds` lists what is)")
        return removed

    def update(self, feed: Feed) -> None:
        """Stores this feed's row; a feed removed meanwhile stays removed."""

        def update(rows: Any) -> tuple[Any, None]:
            feeds = rows_to_feeds(rows)
            if not any(f.url == feed.url for f in feeds):
                return None, None
            return [asdict(feed if f.url == feed.url else f) for f in feeds], None

        self.file.change(update)

    def entry_folder(self, feed: Feed) -> Path:
        return self.folder / feed.key

    def entry_files(self, feed: Feed | None = None) -> list[Path]:
        """The kept entry files of one feed, or of every feed."""
        if feed is not None:
            return sorted(self.entry_folder(feed).glob("*.json"))
        return sorted(self.folder.glob("*/*.json"))


def rows_to_feeds(rows: Any) -> list[Feed]:
    known = {f.name for f in fields(Feed)}
    return [Feed(**{k: v for k, v in row.items() if k in known}) for row in rows or []]


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # after redirects
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def text(self) -> str:
        charset = re.search(r"charset=([\w.-]+)", self.headers.get("content-type", ""), re.I)
        encoding = charset.group(1) if charset else "utf-8"
        try:
            return self.body.decode(encoding, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class PoliteClient:
    """GET requests as a well-behaved crawler makes them, one at a time."""

    def __init__(self, settings: FeedSettings) -> None:
        import httpx

        self.settings = settings
        self._client = httpx.Client(
            headers={"User-Agent": settings.user_agent},
            timeout=httpx.Timeout(settings.timeout_s),
            follow_redirects=False,
        )
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, tuple[float, Any]] = {}

    def close(self) -> None:
        self._client.close()

    def get(
        self, url: str, max_bytes: int, headers: dict[str, str] | None = None, robots: bool = True
    ) -> Fetched:
        """The response to a GET of `url`, following up to MAX_REDIRECTS redirects, each hop
        checked as the first; a FeedError with the reason when it fails."""
        for _ in range(MAX_REDIRECTS + 1):
            self._check_address(url)
            if robots and not self._robots_allow(url):
                raise FeedError(f"robots.txt of {urlsplit(url).hostname} disallows {url}")
            fetched = self._one_get(url, max_bytes, headers or {})
            location = fetched.headers.get("location")
            if fetched.status in {301, 302, 303, 307, 308} and location:
                url = urljoin(url, location)
                continue
            return fetched
        raise FeedError(f"more than {MAX_REDIRECTS} redirects from {url}")

    def _one_get(self, url: str, max_bytes: int, headers: dict[str, str]) -> Fetched:
        import httpx

        self._pace(urlsplit(url).hostname or "")
        deadline = time.monotonic() + self.settings.timeout_s * 3
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise FeedError(
                        f"{url} is {int(declared) / 1e6:.1f} MB, more than the "
                        f"{max_bytes / 1e6:.1f} MB allowed"
                    )
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > max_bytes:
                        raise FeedError(
                            f"{url} sent more than the {max_bytes / 1e6:.1f} MB allowed; stopped"
                        )
                    if time.monotonic() > deadline:
                        raise FeedError(f"{url} answered too slowly; gave up")
                return Fetched(
                    str(response.url),
                    response.status_code,
                    {k.lower(): v for k, v in response.headers.items()},
                    bytes(body),
                )
        except FeedError:
            raise
        except httpx.TimeoutException:
            raise FeedError(
                f"{url} did not answer within {self.settings.timeout_s:g} s; will try again"
            ) from None
        except httpx.ConnectError as error:
            reason = str(error) or type(error).__name__
            if "CERTIFICATE" in reason.upper() or "SSL" in reason.upper():
                raise FeedError(f"{url}: the secure (TLS) connection failed ({reason})") from None
            raise FeedError(f"{url} can't be reached ({reason})") from None
        except httpx.HTTPError as error:
            raise FeedError(f"{url} failed ({type(error).__name__}: {error})") from None
        finally:
            self._last_request[urlsplit(url).hostname or ""] = time.monotonic()

    def _pace(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            wait = self.settings.delay_s - (time.monotonic() - last)
            if wait > 0:
                time.sleep(wait)

    def _check_address(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme.lower() not in {"http", "https"}:
            raise FeedError(f"{url} is not an http(s) address")
        host = parts.hostname or ""
        if self.settings.allow_private:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or 80, proto=socket.IPPROTO_TCP)
        except OSError:
            raise FeedError(f"the host {host!r} of {url} can't be found") from None
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global:
                raise FeedError(
                    f"{url} is on a private or local network ({address}); following such "
                    "addresses is off (NEWSQA_FEEDS__ALLOW_PRIVATE=true allows it)"
                )

    def _robots_allow(self, url: str) -> bool:
        from protego import Protego

        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        cached = self._robots.get(site)
        if cached is None or time.monotonic() - cached[0] > 24 * 3600:
            # A robots.txt that can't be read means nothing may be fetched for now (RFC 9309):
            # the site's own failure is the line on the feed's row.
            fetched = self._one_get(f"{site}/robots.txt", 512_000, {})
            if fetched.status >= 500:
                raise FeedError(
                    f"robots.txt of {parts.hostname} answered HTTP {fetched.status}; nothing "
                    "is fetched from the site until it answers"
                )
            # No robots.txt (4xx): everything is allowed.
            rules = Protego.parse(fetched.text() if fetched.status < 400 else "")
            cached = (time.monotonic(), rules)
            self._robots[site] = cached
        return bool(cached[1].can_fetch(url, self.settings.user_agent))


def html_to_text(fragment: str) -> str:
    """The text of an HTML fragment (a feed entry's content), one paragraph a block."""
    import lxml.html

    if "<" not in fragment:
        return fragment.strip()
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several kinds on broken markup
        return re.sub(r"<[^>]+>", " ", fragment).strip()
    for block in root.iter("p", "div", "br", "li", "h1", "h2", "h3", "h4", "blockquote"):
        block.tail = "\n\n" + (block.tail or "")
    text = root.text_content()
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def entry_date(entry: Any) -> str | None:
    for name in ("published", "updated", "created"):
        value = entry.get(name)
        if isinstance(value, str) and value.strip():
            parsed = entry.get(f"{name}_parsed")
            if parsed:
                return dt.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday).isoformat()
            return normalise_date(value)
    return None


def entry_text(entry: Any) -> str:
    """The longest text the entry carries: its content, else its summary."""
    texts = [c.get("value", "") for c in entry.get("content", []) or []]
    texts.append(entry.get("summary", "") or "")
    return max((html_to_text(t) for t in texts if t), key=len, default="")


def file_name(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20] + ".json"


def text_digest(text: str) -> str:
    return hashlib.sha1(" ".join(text.lower().split()).encode("utf-8")).hexdigest()


class FeedFollower:
    """Polls the feeds of one index and keeps their new entries as files; `apply(files)` indexes
    the files (the builder from the command line, the app's write lock in the server)."""

    def __init__(self, settings: Settings, apply: Callable[[list[Path]], object]) -> None:
        self.settings = settings
        self.feed_settings = settings.feeds
        self.book = FeedBook(settings.index_dir)
        self.apply = apply
        self._client: PoliteClient | None = None
        self._seen_texts: set[str] | None = None

    @property
    def client(self) -> PoliteClient:
        if self._client is None:
            self._client = PoliteClient(self.feed_settings)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def catch_up(self) -> None:
        """Indexes every kept entry file: those a kill left unindexed go in, the rest cost
        nothing (the builder finds them unchanged)."""
        files = self.book.entry_files()
        if files:
            self.apply(files)

    def run(self, stop: threading.Event) -> None:
        """Polls each feed when it is due, until `stop` is set."""
        try:
            self.catch_up()
        except Exception:  # indexing is tried again after the next poll
            log.exception("indexing the kept feed entries failed")
        while not stop.is_set():
            try:
                self.poll_due()
            except Exception:  # one bad poll must not end the following
                log.exception("polling the feeds failed")
            stop.wait(1.0)

    def poll_due(self) -> list[PollReport]:
        reports = []
        for feed in self.book.feeds():
            if feed.next_poll_at <= time.time():
                reports.append(self.poll(feed))
        return reports

    def poll(self, feed: Feed) -> PollReport:
        """Fetches the feed, keeps its new entries, indexes them; the feed's row says how it
        went. Never raises for what the feed or the network did."""
        report = PollReport(feed)
        feed.last_poll_at = now_iso()
        try:
            self._poll(feed, report)
        except FeedError as error:
            self._failed(feed, str(error))
        except Exception as error:  # whatever else fails inside is the feed's line, not a crash
            log.exception("polling %s failed", feed.url)
            self._failed(feed, f"polling failed ({type(error).__name__}: {error})")
        else:
            feed.error = None
            feed.failures = 0
            feed.last_good_poll_at = feed.last_poll_at
            settings = self.feed_settings
            wait = settings.delay_s if report.more_waiting else settings.interval_s
            feed.next_poll_at = time.time() + wait
        feed.entries_kept = len(self.book.entry_files(feed))
        self.book.update(feed)
        if report.new_files:
            self.apply(report.new_files)
        for line in report.skipped:
            log.info("feed %s: %s", feed.url, line)
        return report

    def _failed(self, feed: Feed, message: str) -> None:
        feed.error = message
        feed.failures += 1
        backoff = self.feed_settings.interval_s * 2 ** min(feed.failures - 1, 10)
        feed.next_poll_at = time.time() + min(backoff, self.feed_settings.max_backoff_s)
        log.warning("feed %s: %s (try %d; next in %.0f s)", feed.url, message, feed.failures,
                    feed.next_poll_at - time.time())  # fmt: skip

    def _poll(self, feed: Feed, report: PollReport) -> None:
        import feedparser

        conditional = {}
        if not feed.note:  # entries were left for this poll: it needs the feed, not a 304
            if feed.etag:
                conditional["If-None-Match"] = feed.etag
            if feed.last_modified:
                conditional["If-Modified-Since"] = feed.last_modified
        fetched = self.client.get(feed.url, int(self.feed_settings.max_feed_mb * 1e6), conditional)
        if fetched.status == 304:
            report.not_modified = True
            return
        if fetched.status >= 400:
            raise FeedError(f"the feed answered HTTP {fetched.status}")
        parsed = feedparser.parse(fetched.body, response_headers=fetched.headers)
        if not parsed.entries:
            looks_html = fetched.content_type.startswith(HTML_TYPES) or (
                parsed.get("bozo") and fetched.body.lstrip()[:200].lower().find(b"<html") >= 0
            )
            if looks_html:
                raise FeedError("the address answered with an HTML page, not a feed")
            if parsed.get("bozo"):
                problem = parsed.get("bozo_exception")
                raise FeedError(f"not a readable feed ({problem or 'malformed'})")
            if not parsed.get("version"):
                raise FeedError("not a feed: neither RSS nor Atom")
        feed.title = (parsed.feed.get("title") or "").strip() or feed.title
        feed.etag = fetched.headers.get("etag") or None
        feed.last_modified = fetched.headers.get("last-modified") or None
        entries = list(parsed.entries)
        cap = self.feed_settings.max_entries_per_poll
        unseen = [e for e in entries if not self._kept(self._entry_key(e, feed))]
        feed.note = None
        if len(unseen) > cap:
            feed.note = (
                f"{len(entries):,} entries listed, {len(unseen):,} new; the first {cap} read "
                "this poll, the rest in the next ones"
            )
            report.more_waiting = True
        for entry in unseen[:cap]:
            try:
                written = self._keep_entry(entry, feed)
            except FeedError as error:
                report.skipped.append(str(error))
                continue
            if written is not None:
                report.new_files.append(written)

    def _entry_key(self, entry: Any, feed: Feed) -> str:
        link = (entry.get("link") or "").strip()
        if link:
            return str(urljoin(feed.url, link))
        ident = (entry.get("id") or "").strip()
        if ident:
            return f"{feed.url}#{ident}"
        return f"{feed.url}#text-{text_digest(entry_text(entry))}"

    def _kept(self, key: str) -> bool:
        """Whether the entry was read before: kept, or found to be a copy of a kept text."""
        name = file_name(key)
        copy_mark = Path(name).with_suffix(COPY_SUFFIX).name
        return any(
            (folder / name).exists() or (folder / copy_mark).exists()
            for folder in self.book.folder.glob("*/")
        )

    def _texts_kept(self) -> set[str]:
        if self._seen_texts is None:
            self._seen_texts = set()
            for path in self.book.entry_files():
                with contextlib.suppress(OSError, ValueError, KeyError, IndexError, TypeError):
                    self._seen_texts.add(
                        text_digest(json.loads(path.read_text(encoding="utf-8"))[0]["body"])
                    )
        return self._seen_texts

    def _keep_entry(self, entry: Any, feed: Feed) -> Path | None:
        """Reads one entry into a record file; None when its text is already kept."""
        from index.load import article_from_html

        key = self._entry_key(entry, feed)
        link = (entry.get("link") or "").strip()
        url = urljoin(feed.url, link) if link else None
        title = " ".join((entry.get("title") or "").split()) or None
        own_text = entry_text(entry)
        record: dict[str, Any] = {
            "title": title,
            "url": url,
            "source": feed.title,
            "published_at": entry_date(entry),
            "author": (entry.get("author") or "").strip() or None,
        }
        if len(own_text.split()) >= FULL_TEXT_WORDS or (url is None and own_text):
            record["body"] = own_text
        elif url is None:
            raise FeedError(f"an entry ({title or 'untitled'}) has no link and no text; left out")
        else:
            page = self.client.get(url, int(self.feed_settings.max_page_mb * 1e6))
            if page.status >= 400:
                raise FeedError(f"{url} answered HTTP {page.status}; left out")
            try:
                article = article_from_html(key, page.text(), url)
            except Exception as error:
                raise FeedError(f"{url}: {error}; left out") from None
            record["body"] = article.text
            record["title"] = title or article.title
            record["source"] = article.source if article.source else feed.title
            record["published_at"] = record["published_at"] or article.published
            record["author"] = record["author"] or article.author
        digest = text_digest(record["body"])
        folder = self.book.entry_folder(feed)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / file_name(key)
        if digest in self._texts_kept():
            log.info("feed %s: %s has the text of an entry already kept; not kept twice",
                     feed.url, key)  # fmt: skip
            # Marked, so that its page is not fetched again at the next poll.
            path.with_suffix(COPY_SUFFIX).touch()
            return None
        temporary = folder / f".{path.name}.part"
        record = {k: v for k, v in record.items() if v}
        if url is None:
            record.pop("url", None)
        temporary.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
        self._texts_kept().add(digest)
        return path


def follow_now(settings: Settings, url: str, apply: Callable[[list[Path]], object]) -> PollReport:
    """Follows `url` (if not yet) and polls it once, now."""
    feed, _ = FeedBook(settings.index_dir).add(url)
    follower = FeedFollower(settings, apply)
    try:
        return follower.poll(feed)
    finally:
        follower.close()


__all__ = [
    "Feed",
    "FeedBook",
    "FeedError",
    "FeedFollower",
    "FeedSettings",
    "PollReport",
    "check_feed_url",
    "follow_now",
]
