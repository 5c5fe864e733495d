"""Finds the parts of an article's text that are the story, leaving web boilerplate out.

Works line by line on the original text and returns character spans, so every chunk cut from a
span is still an exact substring of the file. The rules are deliberately small and each one is
tested against the seeds: navigation, share and comment widgets, copyright and "report a mistake"
lines, phone numbers, font-size controls, and section labels followed by another story's teaser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Line:
    start: int  # offset of the first non-blank character
    end: int  # offset after the last non-blank character
    stripped: str


SOCIAL = (
    r"twitter|x|facebook|telegram|instagram|youtube|tiktok|linkedin|vk|whatsapp|threads|mastodon"
)
BOILERPLATE_LINE = re.compile(
    "|".join(
        rf"(?:{pattern})"
        for pattern in [
            r"all news",
            r"report a (?:mistake|typo|error)\b.*",
            r"follow us(?: on .{1,40})?:?",
            rf"(?:{SOCIAL})\s*:\s*\S.*",
            r".{0,80}©.*",
            r"copyright\b.{0,160}",
            r"all rights reserved\.?",
            r"\d+\s+comments?:?",
            r"(?:post|leave|add|write) a (?:comment|reply)",
            r"comments?:?",
            r"discuss(?:ion)?",
            r"you (?:might|may) also like:?",
            r"(?:related|recommended|more)(?: (?:articles|stories|news|reading))?:?",
            r"(?:read|see) (?:more|also):?",
            r"share(?: this(?: article| story)?)?(?: on .{1,30})?:?",
            r"advertisement|sponsored(?: content)?",
            r"(?:sign up|subscribe)\b.{0,100}",
            r"(?:click|tap) here\b.{0,100}",
            r".{0,40}\bA-\s*A\s*A\+",
            # A page's unfilled template ("{{ #verifyErrors }} {{ message }}", "{% if user %}"),
            # and the newsletter form it sits in.
            r".*(?:\{\{.*\}\}|\{%.*%\}).*",
            r".*\bplease enter a valid email(?: address)?\b.*",
            # A phone number alone on its line: digits with spaces, brackets, dots and dashes.
            r"\(?\+?\d[\d\s().\-]{6,}\d",
        ]
    ),
    re.IGNORECASE,
)
WEEKDAY = r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
MONTH = (
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec"
)
DATE_LINE = re.compile(
    rf"(?:(?:{WEEKDAY}),?\s*)?(?:\d{{1,2}}\s+(?:{MONTH})|(?:{MONTH})\s+\d{{1,2}})(?:st|nd|rd|th)?"
    rf"\.?,?(?:\s*\d{{4}})?(?:,?\s*(?:{WEEKDAY}))?(?:,?\s*\d{{1,2}}:\d{{2}})?"
    r"|\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?",
    re.IGNORECASE,
)
# A section label ("Asia", "Analysis") directly above a teaser headline of another story.
SECTION_LABEL = re.compile(r"[A-Z][A-Za-z&]*(?: [A-Z&][A-Za-z&]*){0,2}")
TEASER_MAX_WORDS = 20
MIN_SECTION_CHARS = 20


def split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    for match in re.finditer(r"[^\n]*", text):
        raw = match.group(0)
        stripped = raw.strip()
        if (
            not stripped
            and match.start() == match.end()
            and lines
            and lines[-1].end == match.start()
        ):
            continue  # finditer's empty match right after a line's content
        leading = len(raw) - len(raw.lstrip())
        start = match.start() + leading
        lines.append(Line(start=start, end=start + len(stripped), stripped=stripped))
    return lines


def is_boilerplate(stripped: str) -> bool:
    return bool(BOILERPLATE_LINE.fullmatch(stripped))


def is_date_line(stripped: str) -> bool:
    return bool(DATE_LINE.fullmatch(stripped))


def is_teaser_headline(stripped: str) -> bool:
    words = stripped.split()
    return (
        3 <= len(words) <= TEASER_MAX_WORDS
        and stripped[0].isupper()
        and not stripped.endswith((".", "!", "?", ":", '"', "”"))
    )


def _normalised(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def excluded_lines(lines: list[Line], headline: str | None) -> set[int]:
    """Indexes of the lines that are not story text; a line repeating the headline is one."""
    excluded: set[int] = set()
    headline_key = _normalised(headline) if headline else None
    seen_content = False
    for number, line in enumerate(lines):
        text = line.stripped
        if not text:
            continue
        if is_boilerplate(text) or is_date_line(text):
            excluded.add(number)
            continue
        if headline_key and _normalised(text.lstrip("# ").rstrip(" -–—|")) == headline_key:
            excluded.add(number)
            continue
        # A one- or two-word kicker above the headline ("Russia") is a label, not content.
        if not seen_content and len(text.split()) <= 2 and SECTION_LABEL.fullmatch(text):
            excluded.add(number)
            continue
        following = lines[number + 1] if number + 1 < len(lines) else None
        if (
            seen_content
            and SECTION_LABEL.fullmatch(text)
            and following is not None
            and following.stripped
            and is_teaser_headline(following.stripped)
        ):
            excluded.update({number, number + 1})
            continue
        if number not in excluded:
            seen_content = True
    return excluded


def content_spans(text: str, headline: str | None) -> list[tuple[int, int]]:
    """Character spans of story text: runs of kept lines, broken wherever a line was dropped."""
    lines = split_lines(text)
    excluded = excluded_lines(lines, headline)
    spans: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for number, line in enumerate(lines):
        if not line.stripped:
            continue
        if number in excluded:
            if current:
                spans.append(current)
            current = None
            continue
        current = (current[0], line.end) if current else (line.start, line.end)
    if current:
        spans.append(current)
    return [span for span in spans if span[1] - span[0] >= MIN_SECTION_CHARS]
