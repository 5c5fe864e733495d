"""Headline, outlet and publication date, read from what an article's text states.

Dates are parsed with dateparser. A year the text does not state stays unknown ("--09-12"):
we never fill in the current year.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from index.clean import Line, is_boilerplate, is_date_line, split_lines
from index.documents import Article

MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
DAY_MONTH = rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTHS})\.?(?:,?\s+\d{{4}})?"
MONTH_DAY = rf"(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
ISO_DATE = r"\d{4}-\d{2}-\d{2}"
DATE = rf"(?:{ISO_DATE}|{DAY_MONTH}|{MONTH_DAY})"

# A dateline's place: a city in capitals, perhaps with its state or country ("PORTLAND,
# Maine", "SAN FRANCISCO, Calif.", "KYIV, Ukraine").
PLACE = r"[A-Z][A-Z .'\-]{1,40}(?:,\s*[A-Z][A-Za-z.]+(?:\s[A-Z][A-Za-z.]+){0,2})?"
# "MOSCOW, September 12. /TASS/.", "WASHINGTON, Oct. 3 (Reuters) -" or
# "PORTLAND, Maine, March 4, 2024 (Reuters) -"
DATELINE = re.compile(
    rf"^{PLACE},\s*(?P<date>{DATE})\.?\s*(?:/(?P<slash>[A-Za-z][\w\-]{{1,20}})/|\((?P<paren>[A-Z][\w .&\-]{{1,30}})\))?"
)
# "MOSCOW (Sputnik) -", "PORTLAND, Maine (AP) —", "Paris (AFP) -", "(Bloomberg) --" and CNN's
# "Washington CNN —" (its name without brackets)
DATELINE_OUTLET = re.compile(
    r"^(?:[A-Z][A-Za-z.'\-]*(?:[ ,]+[A-Z][A-Za-z.'\-]*){0,4}\s*)?"
    r"(?:\((?P<outlet>[A-Z][\w.&\-]*(?: [A-Z][\w.&\-]*){0,3})\)|(?P<cnn>CNN))\s*(?:-{1,2}|–|—)"
)
WIRES = (
    r"Reuters|AP|Associated Press|AFP|Agence France-Presse|Bloomberg|CNN|BBC News|BBC|The Guardian"
)
# "By Jane Doe, Reuters", "By Jane Doe | Bloomberg", "By Jane Doe and John Roe (AP)"
BYLINE_OUTLET = re.compile(
    rf"^By\s+[A-Z][^,|()]{{1,80}}?\s*(?:,|\||\(|-|–|—)\s*(?P<outlet>{WIRES})\)?\s*$"
)
# Any byline, with or without an outlet: "By Jane Doe", "By Jane Doe, Senior Reporter",
# "By Coast Courier staff". Never a headline.
BYLINE = re.compile(r"^By\s+[A-Z][^.!?]{1,80}$")
WEEKDAY = r"(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)[a-z]*\.?"
# A time stamp line: "Published 10:32 AM EST, Mon March 4, 2024", "Updated 4 March 2024",
# "Mon 4 Mar 2024 10.32 GMT", "March 4, 2024 at 10:32 AM EST": the date, and only times, zones
# and weekdays around it.
STAMP_LABEL = re.compile(
    r"^(?:(?:first\s+)?published|updated|last\s+updated|posted|last\s+modified)(?:\s+on)?:?\s*",
    re.IGNORECASE,
)
STAMP_REST = re.compile(
    rf"^(?:\s|[,|·.]|[Aa]t|[Oo]n|{WEEKDAY}|\d{{1,2}}[:.]\d{{2}}|[AaPp]\.?[Mm]\.?|[A-Z]{{2,4}}|"
    r"[+-]\d{2}:?\d{2})*$"
)
# "EurasiaDiary © Must be hyperlinked" or "© 2024 The Daily Example"
COPYRIGHT_OUTLET = re.compile(
    r"^(?:(?P<before>[A-Z][\w.&\-]*(?: [A-Z][\w.&\-]*){0,3})\s*©|©\s*(?:\d{4}\s+)?(?P<after>[A-Z][\w.&\-]*(?: [A-Z][\w.&\-]*){0,3}))"
)
HEADLINE_MAX_WORDS = 25
DERIVED_HEADLINE_WORDS = 12


@dataclass(frozen=True, slots=True)
class TextDescription:
    headline: str | None
    outlet: str | None
    published: str | None


def describe_text(text: str) -> TextDescription:
    lines = split_lines(text)
    return TextDescription(
        headline=find_headline(lines),
        outlet=find_outlet(lines),
        published=find_published(lines),
    )


def find_headline(lines: list[Line]) -> str | None:
    """The first real line: a short one is the headline; a long first sentence gives a shortened one."""
    for line in lines:
        stripped = line.stripped
        if not stripped or is_boilerplate(stripped) or is_date_line(stripped):
            continue
        if is_stamp_line(stripped) or (len(stripped.split()) <= 12 and BYLINE.match(stripped)):
            continue
        words = stripped.lstrip("# ").split()
        if len(words) < 3:
            continue  # a section kicker such as "Russia" above the headline
        if len(words) <= HEADLINE_MAX_WORDS and not stripped.endswith((".", "!", "?", '"', "”")):
            return stripped.lstrip("# ").rstrip(" -–—|")
        # No headline line (e.g. a headline run into a photo caption): name the story by its
        # first words, marked as shortened, rather than pretend to know the headline.
        shortened = " ".join(words[:DERIVED_HEADLINE_WORDS])
        return shortened + "…" if len(words) > DERIVED_HEADLINE_WORDS else shortened
    return None


def find_outlet(lines: list[Line]) -> str | None:
    for line in lines[:40]:
        match = DATELINE.match(line.stripped)
        if match and (match.group("slash") or match.group("paren")):
            return match.group("slash") or match.group("paren")
        match = DATELINE_OUTLET.match(line.stripped)
        if match:
            return match.group("outlet") or match.group("cnn")
        match = BYLINE_OUTLET.match(line.stripped)
        if match:
            return match.group("outlet")
    for line in lines:
        match = COPYRIGHT_OUTLET.match(line.stripped)
        if match:
            outlet = match.group("before") or match.group("after")
            if outlet and outlet.lower() not in {"copyright", "all rights reserved"}:
                return outlet
    return None


def find_published(lines: list[Line]) -> str | None:
    """Only a dateline or a line that is just a date counts: dates in the story are events."""
    for line in lines[:40]:
        stripped = line.stripped
        match = DATELINE.match(stripped)
        if match:
            return normalise_date(match.group("date"))
        if is_date_line(stripped) or is_stamp_line(stripped):
            found = re.search(DATE, stripped)
            if found:
                return normalise_date(found.group(0))
    return None


def is_stamp_line(stripped: str) -> bool:
    """A line that is only a publication stamp: a date with a year, perhaps a label
    ("Published", "Updated"), a weekday, a time and a zone."""
    if len(stripped) > 90:
        return False
    text = STAMP_LABEL.sub("", stripped)
    found = re.search(DATE, text)
    if not found or not re.search(r"\d{4}", found.group(0)):
        return False
    return bool(STAMP_REST.match(text[: found.start()] + " " + text[found.end() :]))


ISO_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


@lru_cache(maxsize=4096)
def normalise_date(value: str) -> str | None:
    """ISO date "YYYY-MM-DD", or "--MM-DD" when `value` states no year; None if unparsable."""
    cleaned = re.sub(r"(\d{2}:\d{2}:\d{2})\.\d+", r"\1", value.strip())
    iso = ISO_TIMESTAMP.fullmatch(cleaned)
    if iso:
        # Most feeds and exports write ISO 8601: read its day as written, as dateparser would,
        # in microseconds rather than its milliseconds.
        with contextlib.suppress(ValueError):
            return dt.date(*(int(part) for part in iso.groups())).isoformat()
    import dateparser

    parsed = dateparser.parse(
        cleaned,
        languages=["en"],
        settings={"REQUIRE_PARTS": ["day", "month"], "PREFER_DAY_OF_MONTH": "first"},
    )
    if parsed is None:
        return None
    if re.search(r"\b\d{4}\b", cleaned):
        return str(parsed.date().isoformat())
    return f"--{parsed.month:02d}-{parsed.day:02d}"


def url_date(url: str | None) -> str | None:
    """The day a web address states in its path ("/2025/08/28/", "/2025-08-28/"), as
    YYYY-MM-DD; None when it states none (or only a month)."""
    if not url:
        return None
    from htmldate.extractors import extract_url_date
    from htmldate.utils import Extractor

    bounds = Extractor(
        extensive=False,
        max=dt.datetime(2100, 1, 1),
        min=dt.datetime(1900, 1, 1),
        original=True,
        format="%Y-%m-%d",
    )
    return extract_url_date(url, bounds)


def url_outlet(url: str | None) -> str | None:
    """The site a web address is on ("techcrunch.com"), to name an outlet nothing else names."""
    if not url or not re.match(r"(?i)https?://", url):
        return None
    import courlan

    # courlan knows the public suffixes ("bbc.co.uk"); a host it doesn't (an intranet name)
    # is taken as written.
    domain: str | None = courlan.extract_domain(url)
    host = urlsplit(url).hostname or ""
    return domain or host.removeprefix("www.") or None


def settle_date(given: str | None, *fallbacks: str | None) -> str | None:
    """The first full date of `given` and then `fallbacks`; a day without its year only when
    none of them has a full one."""
    candidates = [value for value in (given, *fallbacks) if value]
    return next((v for v in candidates if full_date(v)), candidates[0] if candidates else None)


def byline(source: str | None, published: str | None) -> str:
    """ "TASS · 12 September (year not stated)": what is known of outlet and date, the rest left
    out."""
    return " · ".join(
        part for part in (source, describe_date(published) if published else "") if part
    )


def full_date(published: str | None) -> dt.date | None:
    """The publication day, or None when it, or its year, is unknown ("--09-12")."""
    if not published or published.startswith("--"):
        return None
    try:
        return dt.date.fromisoformat(published[:10])
    except ValueError:
        return None


def describe_date(published: str | None) -> str:
    """Human form: "26 September 2023", or "12 September (year not stated)"."""
    if not published:
        return "date unknown"
    if published.startswith("--"):
        month, day = int(published[2:4]), int(published[5:7])
        return f"{day} {dt.date(2000, month, 1):%B} (year not stated)"
    date = dt.date.fromisoformat(published[:10])
    return f"{date.day} {date:%B %Y}"


def outlet_coverage(articles: Iterable[Article]) -> list[dict[str, Any]]:
    """Per outlet (most articles first): how many articles, the first and last full dates, and
    how many have no full date. Articles with no known outlet are one row, last."""
    rows: dict[str | None, dict[str, Any]] = {}
    for article in articles:
        row = rows.setdefault(
            article.source,
            {"outlet": article.source, "articles": 0, "first": None, "last": None,
             "without_full_date": 0},
        )  # fmt: skip
        row["articles"] += 1
        day = full_date(article.published)
        if day is None:
            row["without_full_date"] += 1
            continue
        text = day.isoformat()
        row["first"] = min(row["first"] or text, text)
        row["last"] = max(row["last"] or text, text)
    return sorted(
        rows.values(), key=lambda r: (r["outlet"] is None, -r["articles"], r["outlet"] or "")
    )
