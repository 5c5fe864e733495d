"""The app's layout in a real browser at desktop (1400×1000) and phone (390×844) size.

Each test saves screenshots under the pytest base folder and in bench/out/screenshots/, for a
person to look at; the asserts measure what a reader would notice.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.app_fixtures import RunningApp
from tests.conftest import ROOT
from tests.e2e.test_app_browser import TIMEOUT, ask, unfolded_text
from tests.ui.test_render import repeated_share

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
GIFTS = "What gifts did Putin and Kim exchange?"
MINISTERS = "Which ministers travelled with Putin to North Korea?"
Box = dict[str, float]


@pytest.fixture(scope="module")
def shoot(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Any, str], None]:
    folders = [
        tmp_path_factory.getbasetemp() / "screenshots",
        ROOT / "bench" / "out" / "screenshots",
    ]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> None:
        shot = page.screenshot(full_page=True)
        for folder in folders:
            (folder / f"{name}.png").write_bytes(shot)

    return save


def open_app(browser: Any, running_app: RunningApp, viewport: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(running_app.url, wait_until="load")
    page.locator("#nq-question textarea").wait_for(timeout=TIMEOUT)
    yield page
    context.close()


@pytest.fixture
def desktop(browser: Any, running_app: RunningApp) -> Iterator[Any]:
    yield from open_app(browser, running_app, DESKTOP)


@pytest.fixture
def phone(browser: Any, running_app: RunningApp) -> Iterator[Any]:
    yield from open_app(browser, running_app, PHONE)


def box(locator: Any) -> Box:
    """The element's box in viewport coordinates."""
    return dict(locator.evaluate("(el) => el.getBoundingClientRect().toJSON()"))


def overlap(a: Box, b: Box) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def assert_toolbar_covers_no_message(page: Any) -> None:
    """The chat's copy/clear/share icons sit above the messages, never on one."""
    scroller = page.locator("#nq-chat .bubble-wrap")
    scroller.evaluate("(el) => { el.scrollTop = 0; }")
    first = box(page.locator("#nq-chat .message").first)
    buttons = page.locator("#nq-chat .top-panel button")
    assert buttons.count() >= 2  # clear and copy, at least
    for button in buttons.all():
        icon = box(button)
        assert not overlap(first, icon), (first, icon)
        # Scrolled anywhere, messages show only below the icons.
        assert box(scroller)["top"] >= icon["bottom"] - 1


def wait_until_shown_in_sources(page: Any, card: Any) -> None:
    """Waits for the (smooth) scroll to end, two frames in a row at the same place, with the card
    inside the sources box: all of it, or its top where it is taller than the box."""
    page.wait_for_function(
        """(card) => { const c = card.getBoundingClientRect();
                       const s = document.querySelector('#nq-sources').getBoundingClientRect();
                       const still = c.top === window.nqLastTop;
                       window.nqLastTop = c.top;
                       return still && c.top >= s.top - 1 && (c.bottom <= s.bottom + 1 ||
                                                      c.height > s.height && c.top < s.top + 40); }""",
        arg=card.element_handle(), timeout=5_000,
    )  # fmt: skip


def excerpts_by_turn(page: Any) -> list[list[str]]:
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('#nq-sources .nq-turn')].map(
                 (turn) => [...turn.querySelectorAll('.nq-excerpt')].map((e) => e.textContent))"""
        )
    )


def test_desktop_marker_scrolls_only_the_sources_and_older_turns_fold_with_an_arrow(
    desktop: Any, shoot: Callable[[Any, str], None]
) -> None:
    page = desktop
    shoot(page, "desktop-empty")
    ask(page, GIFTS)
    answer = ask(page, MINISTERS)
    page.locator("#nq-sources details.nq-turn").wait_for(timeout=TIMEOUT)
    shoot(page, "desktop-two-turns")
    assert no_horizontal_scroll(page)
    assert_toolbar_covers_no_message(page)

    # The older question folds away behind a visible arrow that turns when it opens.
    summary = page.locator("#nq-sources details.nq-turn > summary").first
    arrow = "(s) => getComputedStyle(s, '::before').content"
    assert summary.evaluate(arrow) == '"▸"'
    assert summary.evaluate("(s) => getComputedStyle(s).cursor") == "pointer"
    assert summary.evaluate("(s) => parseFloat(getComputedStyle(s, '::before').width)") > 5

    # No two cards of one answer repeat nearly the same excerpt; every marker has its card.
    for excerpts in excerpts_by_turn(page):
        for a, b in itertools.combinations(excerpts, 2):
            assert repeated_share(a, b) < 0.5, (a[:80], b[:80])
    targets = page.evaluate(
        "() => [...document.querySelectorAll('a.nq-marker')].map((m) => m.getAttribute('href'))"
    )
    assert targets and all(page.locator(target).count() == 1 for target in targets)

    # A marker brings its card up inside the sources box; the page, and so the chat, stay put.
    unfolded_text(answer)  # the last marker sits under "More from the articles"
    marker = answer.locator("a.nq-marker").last
    marker.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    card = page.locator(marker.get_attribute("href"))
    marker.click()
    page.wait_for_selector("#nq-sources .nq-card.nq-flash", timeout=5_000)
    wait_until_shown_in_sources(page, card)
    shoot(page, "desktop-after-marker")
    assert page.evaluate("window.scrollY") == scrolled
    question = box(page.locator("#nq-question"))
    assert question["top"] >= 0 and question["bottom"] <= DESKTOP["height"]

    # A marker of the older answer opens its folded question and brings up its card too.
    older = page.locator(".nq-answer").first.locator("a.nq-marker").first
    older.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    older.click()
    folded = page.locator("#nq-sources details.nq-turn").first
    page.wait_for_function("(d) => d.open", arg=folded.element_handle(), timeout=5_000)
    assert summary.evaluate(arrow) == '"▾"'
    card = page.locator(older.get_attribute("href"))
    wait_until_shown_in_sources(page, card)
    assert page.evaluate("window.scrollY") == scrolled

    # The whole article opens inside the sources box too, its quote in view; the page stays.
    card.locator("details.nq-full summary").click()
    wait_until_shown_in_sources(page, card.locator(".nq-article"))
    shoot(page, "desktop-whole-article")
    assert page.evaluate("window.scrollY") == scrolled


def test_phone_shows_the_sources_early_and_the_answer_without_sideways_scrolling(
    phone: Any, shoot: Callable[[Any, str], None]
) -> None:
    page = phone
    shoot(page, "phone-empty")
    assert no_horizontal_scroll(page)
    # With nothing asked yet, the empty chat is small: the sources start on the first screen.
    heading = page.get_by_role("heading", name="Sources")
    assert box(heading)["top"] + page.evaluate("window.scrollY") < 900
    assert box(page.locator("#nq-sources"))["top"] + page.evaluate("window.scrollY") < 900

    answer = ask(page, GIFTS)
    page.locator("#nq-sources .nq-card").first.wait_for(timeout=TIMEOUT)
    shoot(page, "phone-answer")
    assert no_horizontal_scroll(page)
    # A good part of the answer shows in the chat, inside the screen's width.
    shown, chat = box(answer), box(page.locator("#nq-chat .bubble-wrap"))
    bottom = min(shown["bottom"], chat["bottom"], PHONE["height"])
    assert bottom - max(shown["top"], chat["top"], 0) >= 200
    assert shown["left"] >= 0 and shown["right"] <= PHONE["width"]
    assert_toolbar_covers_no_message(page)


def settle(page: Any, frames: int = 10) -> None:
    """Lets the page draw a few frames, time for a scroll it started to show."""
    page.evaluate(
        """(frames) => new Promise((done) => {
             const step = () => (--frames > 0 ? requestAnimationFrame(step) : done());
             requestAnimationFrame(step); })""",
        frames,
    )


def place_in_chat(page: Any) -> tuple[float, float]:
    """Where the reader is: the page's scroll and the chat's."""
    page_y, chat_y = page.evaluate(
        "() => [scrollY, document.querySelector('#nq-chat .bubble-wrap').scrollTop]"
    )
    return float(page_y), float(chat_y)


def on_screen(locator: Any) -> bool:
    """The element is inside the viewport, and on top where its first line starts."""
    return bool(
        locator.evaluate(
            """(el) => { const r = el.getBoundingClientRect(), first = el.getClientRects()[0];
                         const top = document.elementFromPoint(first.left + 2,
                                                               (first.top + first.bottom) / 2);
                         return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight &&
                                r.right <= innerWidth && !!top && el.contains(top); }"""
        )
    )


def test_phone_marker_opens_its_card_over_the_chat_and_keeps_the_place(
    phone: Any, shoot: Callable[[Any, str], None]
) -> None:
    """On a phone the sources are some 1,300 px below the chat: a marker opens its card in a
    sheet over the chat instead of scrolling the page there, and closing it leaves the reader
    where they were."""
    page = phone
    answer = ask(page, GIFTS)
    page.locator("#nq-sources .nq-card").first.wait_for(timeout=TIMEOUT)
    marker = answer.locator("a.nq-marker").first
    marker.scroll_into_view_if_needed()
    place = place_in_chat(page)
    card = page.locator(str(marker.get_attribute("href")))
    quote = card.locator("mark.nq-span").first.text_content()
    head = card.locator(".nq-card-head").text_content()

    marker.click()
    sheet = page.locator("#nq-card-sheet")
    sheet.wait_for(state="visible", timeout=5_000)
    settle(page)
    shoot(page, "phone-after-marker")
    # The card, its quote highlighted, is on screen and on top; the page and chat stayed put.
    assert sheet.locator(".nq-card-head").text_content() == head
    shown = sheet.locator(".nq-card mark.nq-span").first
    assert shown.text_content() == quote
    assert on_screen(shown)
    assert place_in_chat(page) == place
    assert no_horizontal_scroll(page)

    # The whole article opens inside the sheet, its quote in view; the page stays.
    sheet.locator("details.nq-full summary").click()
    pane_mark = sheet.locator(".nq-article mark.nq-span").first
    page.wait_for_function(
        """(mark) => { const r = mark.getBoundingClientRect();
                       const still = r.top === window.nqLastTop;
                       window.nqLastTop = r.top;
                       return still && r.top >= 0 && r.bottom <= innerHeight; }""",
        arg=pane_mark.element_handle(), timeout=5_000,
    )  # fmt: skip
    assert on_screen(pane_mark)
    assert place_in_chat(page) == place

    # Closed, the chat is back as it was, the marker where it was.
    sheet.get_by_role("button", name="Close").click()
    sheet.wait_for(state="hidden", timeout=5_000)
    settle(page)
    assert place_in_chat(page) == place
    assert on_screen(marker)
    # Another marker opens its own card the same way; Escape closes it too.
    other = answer.locator("a.nq-marker:visible").nth(1)
    other.click()
    sheet.wait_for(state="visible", timeout=5_000)
    expected = page.locator(str(other.get_attribute("href"))).locator(".nq-card-head")
    assert sheet.locator(".nq-card-head").text_content() == expected.text_content()
    page.keyboard.press("Escape")
    sheet.wait_for(state="hidden", timeout=5_000)
    assert place_in_chat(page) == place


def test_the_library_fits_a_phone_and_a_desktop(
    browser: Any, running_app: RunningApp, shoot: Callable[[Any, str], None]
) -> None:
    for name, viewport in (("phone", PHONE), ("desktop", {"width": 1400, "height": 1000})):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(running_app.url, wait_until="load")
        page.get_by_role("tab", name="Library").click()
        page.locator("#nq-library-table [role=gridcell]").first.wait_for(timeout=TIMEOUT)
        page.locator("#nq-library-table [role=gridcell]", has_text="TASS").first.click()
        page.locator("#nq-article h3").wait_for(timeout=TIMEOUT)
        shoot(page, f"{name}-library")
        assert no_horizontal_scroll(page)
        # Every column shown is wide enough for a word ("Outlet" was a letter a line on a
        # phone); each header sits over its column.
        headers = page.evaluate(
            """() => [...document.querySelectorAll('#nq-library-table th')]
                 .map(h => h.getBoundingClientRect()).filter(r => r.width > 0)
                 .map(r => [r.left, r.width])"""
        )
        cells = page.evaluate(
            """() => [...document.querySelectorAll('#nq-library-table [role=gridcell][data-row="0"]')]
                 .map(c => c.getBoundingClientRect()).filter(r => r.width > 0)
                 .map(r => [r.left, r.width])"""
        )
        assert len(headers) >= 3 and all(width >= 60 for _, width in headers)
        assert [round(left) for left, _ in headers] == [round(left) for left, _ in cells]
        # The open article's text stays inside the screen.
        text = box(page.locator(".nq-article-text"))
        assert text["left"] >= 0 and text["right"] <= viewport["width"]
        context.close()


def test_phone_library_shows_outlets_and_headlines_whole(
    browser: Any, running_app: RunningApp
) -> None:
    """At 390 px the outlet and headline cells were cut to a few characters and "…"
    ("Eurasia…", "Russia and N Korea wil…"): they wrap instead, every word whole."""
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(running_app.url, wait_until="load")
        page.get_by_role("tab", name="Library").click()
        page.locator("#nq-library-table [role=gridcell]").first.wait_for(timeout=TIMEOUT)
        # Each outlet and headline cell's text: its box, the cell's box, its lines, and whether
        # its span hides any of it (an ellipsis, or a clip).
        cells = page.evaluate(
            """() => [...document.querySelectorAll(
                   '#nq-library-table [role=gridcell]:is([data-col="1"], [data-col="2"])')]
                 .filter((cell) => cell.innerText.trim()).map((cell) => {
                   const span = cell.querySelector('.cell-wrap > span');
                   const range = document.createRange();
                   range.selectNodeContents(span);
                   const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
                   const text = range.getBoundingClientRect(), box = cell.getBoundingClientRect();
                   return {col: cell.dataset.col, text: span.textContent.trim(), lines: lines.size,
                           width: box.width, hidden: span.scrollWidth > span.clientWidth + 1,
                           inside: text.left >= box.left - 1 && text.right <= box.right + 1 &&
                                   text.top >= box.top - 1 && text.bottom <= box.bottom + 1}; })"""
        )
        outlets = [cell for cell in cells if cell["col"] == "1"]
        headlines = [cell for cell in cells if cell["col"] == "2"]
        assert len(outlets) >= 3 and len(headlines) >= 5, cells
        for cell in cells:
            assert not cell["hidden"] and cell["inside"], cell
            # No word broken across lines ("EurasiaDi/ary").
            assert cell["lines"] <= len(cell["text"].split()), cell
        # An outlet's name on one line; a headline at least 12 characters a line.
        assert all(cell["lines"] == 1 and cell["width"] >= 90 for cell in outlets), outlets
        assert all(len(cell["text"]) / cell["lines"] >= 12 for cell in headlines), headlines
        assert no_horizontal_scroll(page)
    finally:
        context.close()
