"""The real app in a real browser: ask, check sources, open the article, follow up, upload."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.app_fixtures import RunningApp, app_page

pytestmark = pytest.mark.browser
TIMEOUT = 120_000  # ms; the first answer warms the model on a 2-core machine


def open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def upload(page: Any, *paths: Path) -> None:
    """Uploads files on the Library tab, as a user drops them there."""
    if not page.locator("#nq-upload").is_visible():
        open_tab(page, "Library")
    page.locator("#nq-upload input[type=file]").set_input_files([str(p) for p in paths])


def ask(page: Any, question: str) -> Any:
    """Types a question, sends it, and returns the newest assistant message once it has rendered."""
    if not page.locator("#nq-question textarea").is_visible():
        open_tab(page, "Chat")
    messages = ".nq-answer, .nq-abstain, .nq-partial"
    count = page.locator(messages).count()
    page.locator("#nq-question textarea").fill(question)
    page.locator("#nq-send").click()
    newest = page.locator(messages).nth(count)
    newest.wait_for(timeout=TIMEOUT)
    return newest


def unfolded_text(answer: Any) -> str:
    """The answer's text with "More from the articles" opened, as a reader who opens it sees."""
    for summary in answer.locator("details.nq-more:not([open]) > summary").all():
        summary.click()
    return str(answer.inner_text())


@pytest.fixture
def page(browser: Any, running_app: RunningApp) -> Any:
    with app_page(browser, running_app) as page:
        yield page


def test_ask_check_sources_open_article_and_follow_up(page: Any, tmp_path: Path) -> None:
    answer = ask(page, "What gifts did Putin and Kim exchange?")
    # One quote leads; the others fold under "More from the articles (n)".
    assert "More from the articles" in answer.inner_text()
    text = unfolded_text(answer)
    assert "glove" in text and "rifle" in text and "gun" in text
    page.locator("#nq-sources .nq-card").first.wait_for(timeout=TIMEOUT)
    # The card quoting the gifts: its head names the article, its excerpt marks the quote.
    card = (
        page.locator("#nq-sources .nq-card")
        .filter(has=page.locator(".nq-excerpt mark.nq-span", has_text=re.compile("glove|gun")))
        .first
    )
    assert (
        "Russia, DPRK to strengthen good-neighbourly relations"
        in card.locator(".nq-card-head").inner_text()
    )
    page.screenshot(path=str(tmp_path / "answer.png"), full_page=True)

    # A marker in the answer brings up its card.
    answer.locator("a.nq-marker").first.click()
    page.wait_for_selector("#nq-sources .nq-card.nq-flash", timeout=5_000)

    # The whole article opens with the quoted span highlighted and scrolled into view.
    card.locator("details.nq-full summary").click()
    article = card.locator(".nq-article")
    article.wait_for(state="visible", timeout=5_000)
    assert "Vostochny Cosmodrome" in article.inner_text()
    mark = article.locator("mark.nq-span")
    page.wait_for_function(
        """(m) => { const box = m.getBoundingClientRect();
                    const pane = m.closest('.nq-article').getBoundingClientRect();
                    return box.top >= pane.top - 1 && box.bottom <= pane.bottom + 1; }""",
        arg=mark.element_handle(), timeout=5_000,
    )  # fmt: skip

    follow_up = ask(page, "And what did Kim give in return?")
    assert "gun" in unfolded_text(follow_up)


def test_the_direct_answer_comes_first_and_is_marked_in_its_source(page: Any) -> None:
    answer = ask(page, "When did Kim Jong Un leave Pyongyang for Russia?")
    short = answer.locator("p.nq-short")
    assert "September 10" in short.inner_text()
    assert short.evaluate("(p) => getComputedStyle(p).fontWeight") in {"700", "bold"}
    card = page.locator("#nq-sources .nq-card").first
    card.wait_for(timeout=TIMEOUT)
    assert "September 10" in card.locator(".nq-excerpt mark.nq-short-span").inner_text()


def test_questions_are_read_as_of_the_day_in_the_as_of_field(page: Any) -> None:
    page.get_by_text("Settings and filters", exact=True).click()
    field = page.locator("#nq-as-of textarea, #nq-as-of input").first
    field.wait_for(timeout=TIMEOUT)
    assert field.input_value() == dt.date.today().isoformat()
    field.fill("2024-06-20")
    answer = ask(page, "Where did Putin go this week?")
    text = answer.inner_text()
    assert "“this week” read as 13 June 2024 to 20 June 2024 (as of 20 June 2024)" in text
    assert "nq-answer" in (answer.get_attribute("class") or "")
    field.fill("20 June")
    page.locator("#nq-question textarea").fill("Where did Putin go this week?")
    page.locator("#nq-send").click()
    page.get_by_text("“Ask as of” takes a date as YYYY-MM-DD").first.wait_for(timeout=TIMEOUT)


def test_a_missing_attribute_is_a_partial_answer_with_its_source(page: Any) -> None:
    answer = ask(page, "How much did the rifle Putin gave Kim cost?")
    assert "nq-partial" in (answer.get_attribute("class") or "")
    assert "Partly found" in answer.inner_text() and "how much" in answer.inner_text()
    # Why it is partial is for --json: no flag, no kind name in the reader's view.
    assert "⚠" not in answer.inner_text() and "partial:" not in answer.inner_text()
    assert "rifle" in page.locator("#nq-sources .nq-card").first.inner_text()


def test_an_llm_backend_is_offered_only_when_one_is_set_up(page: Any) -> None:
    # No OpenAI-compatible server runs beside the test app: choosing one could only fail.
    page.get_by_text("Settings and filters", exact=True).click()
    page.get_by_text("Extractive (offline)", exact=True).wait_for(timeout=TIMEOUT)
    assert page.get_by_text("LLM (").count() == 0
    page.get_by_text("Answers written by an LLM appear here once").wait_for(timeout=TIMEOUT)


def test_unanswerable_question_looks_different(page: Any) -> None:
    answer = ask(page, "What did the Pope say about the summit?")
    assert "nq-abstain" in (answer.get_attribute("class") or "")
    assert "Not found in the articles" in answer.inner_text()
    assert "Nearest passages" in answer.inner_text()


def test_upload_then_ask_about_it(page: Any, tmp_path: Path) -> None:
    article = tmp_path / "harbour-report.txt"
    article.write_text(
        "Zorblat harbour reopens after storm\n\n"
        "ZORBLAT, March 3 (Harbour Wire) - The harbour of Zorblat reopened on Monday after a storm "
        "damaged two piers. Repairs to the northern pier will cost 42 million ducats, the port "
        "authority said.\n"
    )
    bad = tmp_path / "notes.exe"
    bad.write_bytes(b"MZ\x00\x00binary")
    upload(page, article, bad)
    status = page.locator("#nq-upload-status")
    page.wait_for_function(
        "(el) => /Indexed 1 article/.test(el.innerText)",
        arg=status.element_handle(),
        timeout=TIMEOUT,
    )
    assert "Rejected notes.exe" in status.inner_text()
    assert "“Zorblat harbour reopens after storm”" in status.inner_text()
    answer = ask(page, "How much will the repairs to the Zorblat pier cost?")
    assert "42 million ducats" in answer.inner_text()
    assert "Harbour Wire" in page.locator("#nq-sources .nq-card").first.inner_text()


def test_html_and_script_in_articles_and_questions_stay_inert(page: Any, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(
        "Quokka council scandal deepens\n\n"
        "The Quokka council treasurer <script>window.__pwned = 'script'</script> resigned on "
        "Friday, and <img src=x onerror=\"window.__pwned = 'img'\"> auditors found 7 missing "
        "ledgers in the Quokka council archive.\n"
    )
    upload(page, hostile)
    page.wait_for_function(
        "(el) => /Quokka council scandal/.test(el.innerText)",
        arg=page.locator("#nq-upload-status").element_handle(), timeout=TIMEOUT,
    )  # fmt: skip
    answer = ask(
        page,
        "Why did the Quokka council treasurer resign? <img src=y onerror=\"window.__pwned='q'\">",
    )
    page.locator("#nq-sources .nq-card").first.wait_for(timeout=TIMEOUT)
    page.locator("#nq-sources details.nq-full summary").first.click()
    assert page.evaluate("window.__pwned") is None
    assert (
        page.locator("#nq-chat img[src=y], #nq-sources img[src=x], #nq-sources script").count() == 0
    )
    assert re.search(r"<script>|<img", page.locator("#nq-sources").inner_text())
    assert "<img src=y" in page.locator("#nq-chat").inner_text()
    assert "Quokka" in answer.inner_text()


def test_a_follow_up_shows_what_was_searched_and_can_be_searched_as_written(page: Any) -> None:
    ask(page, "Who is Alexander Zhebin?")
    follow_up = ask(page, "What did he say about energy?")
    searched = follow_up.locator(".nq-searched")
    assert "“What did Alexander Zhebin say about energy?”" in searched.inner_text()
    undo = page.locator("#nq-as-written")
    assert undo.is_visible()
    undo.click()
    # The rewritten turn is replaced by the question searched alone; nothing else changes.
    page.locator("#nq-as-written").wait_for(state="hidden", timeout=TIMEOUT)
    page.wait_for_function(
        "() => document.querySelectorAll('.nq-searched').length === 0", timeout=TIMEOUT
    )
    messages = page.locator(".nq-answer, .nq-abstain, .nq-partial")
    assert messages.count() == 2
    assert page.locator(".nq-question").last.inner_text() == "What did he say about energy?"
    # A question that stands on its own is searched as written: no notice, no undo.
    answer = ask(page, "What does North Korea need from Russia?")
    assert answer.locator(".nq-searched").count() == 0
    assert not page.locator("#nq-as-written").is_visible()


def test_the_chat_trash_icon_starts_a_new_conversation(page: Any) -> None:
    ask(page, "When is Putin visiting Pyongyang?")
    page.locator("#nq-sources .nq-card").first.wait_for(timeout=TIMEOUT)
    page.locator('#nq-chat button[aria-label="Clear"]').click()
    page.wait_for_function(
        "() => document.querySelectorAll('#nq-sources .nq-card').length === 0", timeout=TIMEOUT
    )
    assert page.locator(".nq-answer, .nq-abstain, .nq-partial").count() == 0
    # Nothing of the old conversation is left to lean on: "him" is searched as written.
    answer = ask(page, "Who went with him?")
    assert answer.locator(".nq-searched").count() == 0
    assert page.locator(".nq-question").count() == 1


def choose_outlet(page: Any, outlet: str) -> None:
    """Opens "Settings and filters" and picks `outlet` in the outlet filter, as a user does."""
    page.get_by_text("Settings and filters", exact=True).click()
    field = page.locator("#nq-outlets input").first
    field.click()
    field.fill(outlet)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def test_filters_show_as_chips_say_what_they_hid_and_come_off_in_one_click(page: Any) -> None:
    choose_outlet(page, "TASS")
    since = page.locator("#nq-since textarea, #nq-since input").first
    since.fill("2023-01-01")
    chips = page.locator(".nq-chip")
    page.wait_for_function(
        "() => document.querySelectorAll('.nq-chip').length === 2", timeout=TIMEOUT
    )
    assert [c.inner_text().strip() for c in chips.all()] == [
        "Outlet: TASS ✕", "On or after 1 January 2023 ✕",
    ]  # fmt: skip
    # The seeds' TASS article has no year: the filter hides it, and the answer says so.
    answer = ask(page, "What did the expert say about Kim's visit?")
    assert (
        "no TASS article on or after 1 January 2023 is indexed (its only one is without a full "
        "date)" in answer.inner_text()
    )
    chips.filter(has_text="On or after").click()
    page.wait_for_function(
        "() => document.querySelectorAll('.nq-chip').length === 1", timeout=TIMEOUT
    )
    assert since.input_value() == ""
    answer = ask(page, "What did the expert say about Kim's visit?")
    assert "nq-answer" in (answer.get_attribute("class") or "")
    # A bad date is reported in the app's words, not the command line's.
    since.fill("January 2023")
    page.locator("#nq-question textarea").fill("What did the expert say?")
    page.locator("#nq-send").click()
    page.get_by_text("“Published on or after” takes a day, such as").first.wait_for(timeout=TIMEOUT)
    assert "--since" not in page.content()


def test_a_typed_day_shows_as_read_and_one_that_is_no_day_is_refused_at_its_field(
    page: Any,
) -> None:
    """A date filter in the forms people type is read into a day, which the chip and a note
    under the field show (12/01/2023 month first, as US news writes it); text that is no day
    gets no chip, and a message under its field that stays, where a toast fades."""
    page.get_by_text("Settings and filters", exact=True).click()
    since = page.locator("#nq-since textarea, #nq-since input").first
    since.wait_for(timeout=TIMEOUT)
    chips = page.locator(".nq-chip")
    for typed, note in [
        ("12/01/2023", "Read as 1 December 2023 (numbers month first)."),
        ("1 Dec 2023", "Read as 1 December 2023."),
        ("2023-11-30", "Read as 30 November 2023."),
        ("December 1, 2023", "Read as 1 December 2023."),
    ]:
        since.fill(typed)
        page.locator("#nq-since-note").get_by_text(note, exact=True).wait_for(timeout=TIMEOUT)
        day = note.removeprefix("Read as ").split(" (")[0].rstrip(".")
        chips.filter(has_text=f"On or after {day}").wait_for(timeout=TIMEOUT)
        assert [c.inner_text().strip() for c in chips.all()] == [f"On or after {day} ✕"]
    since.fill("last spring")
    refusal = page.locator("#nq-since-note .nq-field-error")
    refusal.wait_for(timeout=TIMEOUT)
    assert refusal.inner_text() == (
        "“Published on or after” takes a day, such as 2023-12-01, 1 Dec 2023 or 12/01/2023 "
        "(month first), not 'last spring'."
    )
    page.wait_for_function(
        "() => document.querySelectorAll('.nq-chip').length === 0", timeout=TIMEOUT
    )
    # Asked anyway: not answered (a toast says why), and the message under the field stays
    # after the toast has gone.
    page.locator("#nq-question textarea").fill("What gifts did Putin and Kim exchange?")
    page.locator("#nq-send").click()
    toast = page.locator(".toast-body", has_text="not 'last spring'")
    toast.wait_for(timeout=TIMEOUT)
    toast.wait_for(state="detached", timeout=30_000)
    assert refusal.is_visible() and "not 'last spring'" in refusal.inner_text()
    assert page.locator(".nq-answer, .nq-abstain, .nq-partial").count() == 0


def test_the_answer_copies_as_markdown_with_its_sources_and_the_conversation_exports(
    browser: Any, running_app: RunningApp
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=running_app.url)
    page = context.new_page()
    page.goto(running_app.url, wait_until="load")
    page.locator("#nq-question textarea").wait_for(timeout=TIMEOUT)
    assert not page.locator("#nq-copy-md").is_visible()  # nothing to take away yet
    ask(page, "What gifts did Putin and Kim exchange?")
    page.locator("#nq-copy-md").click()
    page.wait_for_function(
        "async () => (await navigator.clipboard.readText()).includes('Sources:')", timeout=10_000
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("**Q: What gifts did Putin and Kim exchange?**")
    assert "<div" not in copied and "nq-" not in copied  # Markdown, not the page's HTML
    # Each numbered source with the exact quote; the gift sentence among them.
    assert "\n1. " in copied and "   > " in copied
    assert "Mr Kim gave Mr Putin a North Korean-made gun" in copied
    with page.expect_download() as download:
        page.locator("#nq-export-json").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    [turn] = exported["conversation"]
    assert turn["question"] == "What gifts did Putin and Kim exchange?"
    assert turn["citations"] and all(c["text"] for c in turn["citations"])
    with page.expect_download() as download:
        page.locator("#nq-export-md").click()
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert markdown.startswith("# newsqa conversation") and "Sources:" in markdown
    context.close()


def test_an_archive_asked_about_this_week_offers_its_newest_day(
    browser: Any, tmp_path: Path, embedder: Any
) -> None:
    """An archive whose reports on the bridges are from March 2024, asked about "this week"
    today: the app says no article is from this week, and one click asks again as of the
    newest report found's day, not of a later article about something else (June 2024)."""
    from tests.app_fixtures import own_app_page
    from tests.qa.test_answer_checks import BRIDGES

    lines = [
        json.dumps({"url": f"https://example.org/{name}", "body": body,
                    "published_at": "2024-03-04"})
        for name, body in BRIDGES.items()
    ] + [
        json.dumps({"url": "https://example.org/library", "published_at": "2024-06-10",
                    "body": "Northfield library reopens\n\nThe Northfield public library "
                    "reopened on Monday after a two-year renovation that added a reading garden "
                    "and a children's wing."})
    ]  # fmt: skip
    (tmp_path / "bridges.jsonl").write_text("\n".join(lines) + "\n")
    with own_app_page(browser, tmp_path / "bridges.jsonl", embedder) as page:
        # The day questions are read as of shows where they are asked.
        today = dt.date.today()
        line = page.locator("#nq-as-of-line")
        assert f"{today.day} {today:%B} {today.year}" in line.inner_text()
        answer = ask(page, "How much will the Harbor Bridge repairs cost this week?")
        assert "No article in the index is from" in answer.inner_text()
        assert "the newest report found is from 4 March 2024" in answer.inner_text()
        again = page.locator("#nq-as-newest")
        again.wait_for(state="visible", timeout=TIMEOUT)
        assert again.inner_text().strip() == "Ask again as of 4 March 2024"
        again.click()
        page.get_by_text("(as of 4 March 2024)").first.wait_for(timeout=TIMEOUT)
        newest = page.locator(".nq-answer, .nq-abstain, .nq-partial").last.inner_text()
        assert "No article in the index is from" not in newest and "$14.2 million" in newest
        line.get_by_text("4 March 2024").wait_for(timeout=TIMEOUT)  # the line follows the field
        assert not again.is_visible()


def test_reports_that_disagree_show_which_says_what_above_the_quotes(
    browser: Any, tmp_path: Path, embedder: Any
) -> None:
    """Two outlets give different opening dates the same day: one line above the quotes says
    so, each value's marker bringing up the card of the report that states it."""
    from tests.app_fixtures import own_app_page
    from tests.qa.test_versions import OPENING, write_stories

    with own_app_page(browser, write_stories(tmp_path), embedder) as page:
        answer = ask(page, OPENING)
        line = answer.locator(".nq-versions")
        text = line.inner_text()
        assert text.startswith("Reports disagree: June")
        assert "June 12 (Valley News, 10 March 2025)" in text
        assert "June 21 (Fjord Daily, 10 March 2025)" in text
        # Both quotes are in view, not folded.
        shown = answer.evaluate(
            "(el) => { const c = el.cloneNode(true);"
            " c.querySelectorAll('details').forEach(d => d.remove()); return c.innerText; }"
        )
        assert "open on June 12" in shown and "open on June 21" in shown
        markers = line.locator("a.nq-marker").all()
        assert len(markers) == 2
        for marker in markers:
            n = marker.inner_text().strip("[]")
            outlet = (
                "Valley News" if f"(Valley News, 10 March 2025) [{n}]" in text else "Fjord Daily"
            )
            marker.click()
            card = page.locator(str(marker.get_attribute("href")))
            page.wait_for_function(
                "(id) => document.getElementById(id).classList.contains('nq-flash')",
                arg=str(marker.get_attribute("href"))[1:], timeout=5_000,
            )  # fmt: skip
            assert outlet in card.locator(".nq-card-head").inner_text()
