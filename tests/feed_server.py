"""A real HTTP server on loopback that serves news feeds whose entries appear over time.

Feeds: /atom.xml (Atom), /rss.xml (RSS 2.0), /broken.xml (an HTML page where a feed was
promised). Each entry links to its page, /news/<feed>/<n>.html, an HTML article. The test says
how many entries each feed shows (`release`); the server keeps a log of every request and of
every response it finished, honours If-None-Match, serves a robots.txt that disallows
/private/, and can hold one page's answer until told to drop it (`stall`), so a follower can be
killed in the middle of a poll.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

PLACES = [
    "Aldermoor", "Brackenridge", "Caldwater", "Dunmere", "Eastholt", "Fernhollow", "Glenarrow",
    "Harrowgate", "Ivydale", "Juniper Cove", "Kestrel Bay", "Larkspur", "Millbrook", "Northwick",
    "Oakhaven", "Pinecrest", "Quarry Hill", "Ravensford", "Stonebridge", "Thornbury",
    "Upton Marsh", "Valebrook", "Westerly", "Yarrowfield", "Zephyr Point", "Ashcombe",
    "Birchwood", "Cobblestone", "Driftwood", "Emberly",
]  # fmt: skip
TOPICS = {"atom": "bridge", "rss": "library"}
BASE_DAY = dt.date(2026, 3, 1)


def entry_title(feed: str, number: int) -> str:
    place = PLACES[number % len(PLACES)]
    return f"{place} {TOPICS[feed]} report number {number}"


def entry_day(number: int) -> dt.date:
    return BASE_DAY + dt.timedelta(days=number)


def page_html(feed: str, number: int) -> str:
    place = PLACES[number % len(PLACES)]
    topic = TOPICS[feed]
    day = entry_day(number)
    code = f"{feed}{number}code"
    paragraphs = [
        f"The council of {place} met on {day:%B} {day.day}, {day.year} to discuss the {topic} "
        f"that residents have asked about for years. Officials said the project, filed under "
        f"the reference {code}, would be reviewed again in the spring.",
        f"Engineers told the meeting that the {topic} in {place} needed {number + 3} months of "
        "work before it could open, and that the budget had been set aside last autumn.",
        f"Residents of {place} who spoke at the meeting welcomed the plan but asked for weekly "
        "updates on the progress of the work and on any closures of nearby roads.",
        f"The mayor of {place} said the council would publish a full timetable within a month "
        f"and that the {topic} would be named after a local teacher.",
    ]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html><head>"
        f"<title>{escape(entry_title(feed, number))}</title>"
        '<meta property="og:site_name" content="Loopback Gazette">'
        f'<meta property="article:published_time" content="{day.isoformat()}">'
        f"</head><body><article><h1>{escape(entry_title(feed, number))}</h1>{body}"
        "</article></body></html>"
    )


def atom_feed(base: str, count: int) -> str:
    entries = "".join(
        f"<entry><title>{escape(entry_title('atom', n))}</title>"
        f'<link href="{base}/news/atom/{n}.html"/><id>urn:atom:{n}</id>'
        f"<updated>{entry_day(n).isoformat()}T09:00:00Z</updated>"
        f"<summary>Short teaser {n}.</summary></entry>"
        for n in reversed(range(count))
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Atom Loopback News</title><id>urn:atom</id>"
        f"<updated>2026-03-01T09:00:00Z</updated>{entries}</feed>"
    )


def rss_feed(base: str, count: int) -> str:
    items = "".join(
        f"<item><title>{escape(entry_title('rss', n))}</title>"
        f"<link>{base}/news/rss/{n}.html</link><guid>rss-{n}</guid>"
        f"<pubDate>{entry_day(n):%a, %d %b %Y} 09:00:00 GMT</pubDate>"
        f"<description>Teaser {n}.</description></item>"
        for n in reversed(range(count))
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>RSS Loopback News</title><link>{base}/</link>"
        f"<description>Loopback</description>{items}</channel></rss>"
    )


@dataclass
class FeedServer:
    """State shared with the handler; `url` once started."""

    shown: dict[str, int] = field(default_factory=lambda: {"atom": 0, "rss": 0})
    requests: list[str] = field(default_factory=list)
    finished: Counter[str] = field(default_factory=Counter)
    extra: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    slow: dict[str, float] = field(default_factory=dict)  # path -> seconds before answering
    stalled_path: str | None = None
    stall_seen: threading.Event = field(default_factory=threading.Event)
    stall_drop: threading.Event = field(default_factory=threading.Event)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def release(self, feed: str, count: int) -> None:
        with self.lock:
            self.shown[feed] = count

    def stall(self, path: str) -> None:
        self.stalled_path = path
        self.stall_seen.clear()
        self.stall_drop.clear()

    def page_requests(self) -> Counter[str]:
        return Counter(p for p in self.requests if p.startswith("/news/"))

    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path in self.extra:
            return self.extra[path]
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"
        if path in {"/atom.xml", "/rss.xml"}:
            feed = path[1:].split(".")[0]
            with self.lock:
                count = self.shown[feed]
            etag = f'"{feed}-{count}"'
            if headers.get("if-none-match") == etag:
                return 304, {"ETag": etag}, b""
            text = atom_feed(self.url, count) if feed == "atom" else rss_feed(self.url, count)
            kind = "application/atom+xml" if feed == "atom" else "application/rss+xml"
            return 200, {"Content-Type": kind, "ETag": etag}, text.encode("utf-8")
        if path == "/broken.xml":
            html = b"<!DOCTYPE html><html><body><h1>Welcome to our homepage</h1></body></html>"
            return 200, {"Content-Type": "text/html; charset=utf-8"}, html
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "news" and parts[2].endswith(".html"):
            feed, number = parts[1], int(parts[2].removesuffix(".html"))
            with self.lock:
                shown = self.shown.get(feed, 0)
            if feed in TOPICS and number < shown:
                html = page_html(feed, number).encode("utf-8")
                return 200, {"Content-Type": "text/html; charset=utf-8"}, html
        return 404, {"Content-Type": "text/plain"}, b"not found"


def handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            server.requests.append(path)
            if path == server.stalled_path:
                server.stall_seen.set()
                server.stall_drop.wait(60)
                self.close_connection = True
                return  # dropped: no answer at all
            if path in server.slow:
                time.sleep(server.slow[path])
            status, headers, body = server.answer(
                path, {k.lower(): v for k, v in self.headers.items()}
            )
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return  # the client stopped reading (a body over its limit): not finished
            if status == 200:
                server.finished[path] += 1

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stall_drop.set()
        httpd.shutdown()
        httpd.server_close()
