"""The timeline under an answer, in a real browser against the real app on the seeds: the
dated reports in order, markers to the source cards, the chart, and the export carries it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_app_browser import TIMEOUT, ask, page

pytestmark = pytest.mark.browser
__all__ = ["page"]  # the fixture, used by name


def test_the_timeline_lists_the_dated_reports_in_order_with_a_chart(page: Any) -> None:
    ask(page, "Where did Putin and Kim meet?")
    page.locator("#nq-timeline").get_by_text("Timeline").first.click()
    items = page.locator("#nq-timeline-list li")
    items.first.wait_for(timeout=TIMEOUT)
    texts = [text.strip() for text in items.all_inner_texts()]
    days = [t.split(" · ")[0] for t in texts]
    dated = [d for d in days if d != "date unknown"]
    assert dated[:2] == ["12 September (year not stated)", "30 September (year not stated)"]
    assert days.index(dated[-1]) < days.index("date unknown")  # undated reports last
    assert "TASS" in texts[0] and "EurasiaDiary" in texts[1]
    # A report the answer cites carries its marker, which opens its source card.
    marker = page.locator("#nq-timeline-list a.nq-marker").first
    target = marker.get_attribute("href")
    assert target and page.locator(target).count() == 1
    # The chart: a bar a day and outlet, drawn by Gradio's own plot.
    chart = page.locator("#nq-timeline-chart")
    chart.locator("canvas, svg").first.wait_for(timeout=TIMEOUT)
    # The exported conversation carries the timeline.
    with page.expect_download() as download:
        page.locator("#nq-export-json").click()
    saved = Path(download.value.path())
    timeline = json.loads(saved.read_text(encoding="utf-8"))["conversation"][-1]["timeline"]
    assert [e["source"] for e in timeline["entries"]][:2] == ["TASS", "EurasiaDiary"]
    assert ["--09-12", "TASS", 1] in timeline["per_day"]
