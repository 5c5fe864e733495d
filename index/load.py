"""Reads articles from files and folders: .txt, .md, .html/.htm, .json (array of objects), .jsonl.

A file that can't be read as an article (binary, not UTF-8 or UTF-16, empty, unparsable, nested
too deep, too large) is skipped with a warning that names it; the rest of the run goes on,
whatever fails inside one file. A link in a folder is read only when it leads to a file inside
that folder (or a folder the settings name): anyone who may drop files into a watched folder
could otherwise publish any file the server can read.
"""

from __future__ import annotations

import codecs
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.documents import Article
from index.metadata import describe_text, normalise_date, settle_date, url_date, url_outlet

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES
RECORD_FIELDS = {"title", "body", "url", "source", "published_at", "author"}
# The longer marks first: UTF-32's little-endian mark starts with UTF-16's.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.path}: {self.reason}"


@dataclass(slots=True)
class LoadResult:
    articles: list[Article]
    skipped: list[Skipped]
    # Every file that was read (even if it yielded nothing), so pruning can tell "gone" from "empty".
    files_seen: set[str]


class _SkipFile(Exception):
    pass


def find_files(paths: list[Path]) -> Iterator[Path]:
    """Yields supported files under `paths` in a stable order, skipping hidden folders."""
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                relative = found.relative_to(path)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if found.suffix.lower() not in SUPPORTED_SUFFIXES:
                    continue
                # A broken link is named too (as missing), not passed over in silence.
                if found.is_file() or (found.is_symlink() and not found.exists()):
                    yield found
        else:
            yield path


def load_articles(
    paths: list[Path],
    max_file_mb: float = 50.0,
    within: Path | None = None,
    link_roots: Sequence[Path] = (),
) -> LoadResult:
    """Articles from `paths`. A file found in a folder given must lie inside that folder once
    its links are followed, and with `within` (a watched folder) every file must lie inside it;
    `link_roots` are other folders links may lead into. A file named on its own is read as named."""
    result = LoadResult(articles=[], skipped=[], files_seen=set())
    for given in paths:
        root = within or (given if given.is_dir() else None)
        for path in find_files([given]):
            if not path.exists():
                result.skipped.append(Skipped(str(path), "no such file or folder"))
                continue
            leads_out = None if root is None else outside_link(path, root, link_roots)
            if leads_out:
                result.skipped.append(Skipped(str(path), leads_out))
                continue
            result.files_seen.add(str(path.resolve()))
            try:
                articles = load_file(path, max_file_mb, result.skipped)
            except _SkipFile as skip:
                result.skipped.append(Skipped(str(path), str(skip)))
                continue
            except OSError as error:
                # Gone since it was listed, a folder by an article's name, no permission to read.
                reason = error.strerror or type(error).__name__
                result.skipped.append(Skipped(str(path), f"can't be read ({reason})"))
                continue
            except ImportError as error:
                # A library this kind of file needs is missing (an install that left out an
                # extra): the file's line names it, and the other files are still read.
                if error.name:
                    need = f"the library {error.name} is not installed"
                else:  # lxml's moved cleaner says what to install in its message, with no name
                    need = "a library it needs is missing: " + " ".join(str(error).split())
                result.skipped.append(Skipped(str(path), f"can't be read: {need}"))
                continue
            except Exception as error:  # one file's failure is that file's line, never the run's
                log.debug("reading %s failed", path, exc_info=True)
                result.skipped.append(
                    Skipped(str(path), f"can't be read as an article ({type(error).__name__})")
                )
                continue
            result.articles.extend(articles)
    for skipped in result.skipped:
        log.warning("%s", skipped)
    return result


def outside_link(path: Path, root: Path, link_roots: Sequence[Path] = ()) -> str | None:
    """Why `path` is not read, when following its links leads outside `root` and every folder
    of `link_roots`; None when it stays inside."""
    target = path.resolve()
    allowed = [root.resolve(), *(Path(folder).resolve() for folder in link_roots)]
    if any(target.is_relative_to(folder) for folder in allowed):
        return None
    return (
        f"a link leading outside {root} (to {target}), not followed: links are read only "
        "inside the folder given (NEWSQA_INDEX__FOLLOW_LINKS_INTO names others they may lead to)"
    )


def load_file(path: Path, max_file_mb: float, skipped: list[Skipped]) -> list[Article]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _SkipFile(
            f"unsupported file type '{suffix or '(none)'}'; use "
            + ", ".join(sorted(SUPPORTED_SUFFIXES))
        )
    text = read_text(path, max_file_mb)
    resolved = str(path.resolve())
    if suffix in TEXT_SUFFIXES:
        return [article_from_text(path.stem, text, resolved)]
    if suffix in HTML_SUFFIXES:
        return [article_from_html(path.stem, text, resolved)]
    records = parse_json_records(text, suffix)
    if not records:
        raise _SkipFile("no article records in it")
    articles = []
    for number, record in records:
        try:
            articles.append(article_from_record(record, f"{path.stem}#{number}", resolved))
        except _SkipFile as skip:
            skipped.append(Skipped(f"{path}, record {number}", str(skip)))
    return articles


def read_text(path: Path, max_file_mb: float) -> str:
    size = path.stat().st_size
    if size > max_file_mb * 1024 * 1024:
        raise _SkipFile(f"file is {size / 1024 / 1024:.1f} MB, over the {max_file_mb:g} MB limit")
    data = path.read_bytes()
    for mark, encoding in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            # UTF-16 and UTF-32 files, as some editors save them, say so in their first bytes.
            try:
                text = data[len(mark) :].decode(encoding)
            except UnicodeDecodeError as error:
                raise _SkipFile(
                    f"not valid {encoding.upper()} text (at byte {error.start + len(mark)}); "
                    "re-save it as UTF-8"
                ) from None
            if not text.strip():
                raise _SkipFile("empty file")
            return text
    if b"\x00" in data[:8192]:
        raise _SkipFile("binary file (contains NUL bytes), not text")
    try:
        # No newline translation: spans index into exactly these characters.
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _SkipFile(
            f"not UTF-8 text (invalid byte at offset {error.start}); re-save it as UTF-8"
        ) from None
    if not text.strip():
        raise _SkipFile("empty file")
    return text


def article_from_text(doc_id: str, text: str, path: str) -> Article:
    described = describe_text(text)
    return Article(
        doc_id=doc_id,
        text=text,
        path=path,
        title=described.headline,
        source=described.outlet,
        published=described.published,
    )


def article_from_html(doc_id: str, html: str, path: str) -> Article:
    import trafilatura

    body = trafilatura.extract(
        html, include_comments=False, include_tables=False, favor_precision=True
    )
    if not body or not body.strip():
        raise _SkipFile("no article text found in the HTML")
    meta = trafilatura.extract_metadata(html)
    described = describe_text(body)
    url = meta.url if meta and meta.url else None
    # The page's own metadata first, then what the text states, then the address.
    return Article(
        doc_id=doc_id,
        text=body,
        path=path,
        title=(meta.title if meta and meta.title else None) or described.headline,
        source=(meta.sitename if meta and meta.sitename else None)
        or described.outlet
        or url_outlet(url),
        published=settle_date(
            normalise_date(meta.date) if meta and meta.date else None,
            described.published,
            url_date(url),
        ),
        author=meta.author if meta and meta.author else None,
        url=url,
    )


def parse_json_records(text: str, suffix: str) -> list[tuple[int, Any]]:
    """Returns (record number, object) pairs; numbers are 1-based lines for .jsonl, indexes for .json."""
    if suffix == ".jsonl":
        records = []
        for line_number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((line_number, json.loads(line)))
            except json.JSONDecodeError as error:
                raise _SkipFile(f"line {line_number} is not valid JSON: {error.msg}") from None
            except RecursionError:
                raise _SkipFile(f"line {line_number} is JSON nested too deeply to read") from None
        return records
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _SkipFile(f"not valid JSON ({error.msg} at line {error.lineno})") from None
    except RecursionError:
        # json.loads recurses once a level: a small file of '[[[[…' would end the whole run.
        raise _SkipFile("JSON nested too deeply to read (articles are one level down)") from None
    if not isinstance(data, list):
        raise _SkipFile(f"expected a JSON array of article objects, found a {type(data).__name__}")
    return list(enumerate(data))


def article_from_record(record: Any, fallback_id: str, path: str) -> Article:
    if not isinstance(record, dict):
        raise _SkipFile(f"expected an object with a 'body', found a {type(record).__name__}")
    body = record.get("body")
    if not isinstance(body, str) or not body.strip():
        raise _SkipFile("no 'body' text")

    def field(name: str) -> str | None:
        value = record.get(name)
        return value.strip() or None if isinstance(value, str) else None

    described = describe_text(body)
    published = field("published_at")
    url = field("url")
    # The record's own fields win; then what the text states; then the web address.
    return Article(
        doc_id=url or fallback_id,
        text=body,
        path=path,
        title=field("title") or described.headline,
        source=field("source") or described.outlet or url_outlet(url),
        published=(normalise_date(published) if published else None)
        or settle_date(described.published, url_date(url)),
        author=field("author"),
        url=url,
    )
