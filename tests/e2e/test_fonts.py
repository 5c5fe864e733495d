"""The app's own fonts in a real browser: every letter and digit, bold and regular, drawn by the
app's web font at its proper size (bold A and B once came out as small capitals, "ᴀsk").

A heading with each glyph in a box of its own is put on the real app page, beside "Sources";
Chromium says which fonts drew it, and a screenshot gives each glyph's ink, measured against
H in the same weight and against the same glyph in the regular weight, the known-good reference.
"""

from __future__ import annotations

import io
import string
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.app_fixtures import RunningApp, app_page

pytestmark = pytest.mark.browser
GLYPHS = string.ascii_uppercase + string.ascii_lowercase + string.digits
SIZE = 64  # px: a glyph a few pixels short of the cap height stands out
WEIGHTS = {"bold": 700, "semibold": 600, "regular": 400}  # 600: Gradio's buttons and headings
FAMILIES = {"sans": "var(--font)", "mono": "var(--font-mono)"}
# Round and pointed letters overshoot the cap height and the baseline by a little.
TOLERANCE = 0.04 * SIZE
Ink = tuple[int, int]  # the rows of a glyph's topmost and bottommost dark pixels


@pytest.fixture(scope="module")
def glyph_page(browser: Any, running_app: RunningApp) -> Iterator[Any]:
    """The app page with a heading per family and weight, each glyph in a span of its own."""
    with app_page(browser, running_app) as page:
        page.evaluate(
            """([glyphs, size, weights, families]) => {
                 const sources = [...document.querySelectorAll('.prose h3')]
                   .find((h) => h.textContent.trim() === 'Sources');
                 for (const [family, font] of Object.entries(families))
                   for (const [name, weight] of Object.entries(weights)) {
                     const heading = document.createElement('h2');
                     heading.id = `nq-glyphs-${family}-${name}`;
                     heading.style.cssText = `font: ${weight} ${size}px/1.5 ${font};
                       margin: 0; color: #000; background: #fff;`;
                     for (const glyph of glyphs) {
                       const span = document.createElement('span');
                       span.textContent = glyph;
                       span.style.cssText = 'display: inline-block; padding: 0 .2em;';
                       heading.appendChild(span);
                     }
                     sources.parentElement.appendChild(heading);
                   }
               }""",
            [GLYPHS, SIZE, WEIGHTS, FAMILIES],
        )
        page.evaluate("document.fonts.ready.then(() => true)")
        yield page


def fonts_drawing(page: Any, selector: str) -> list[dict[str, Any]]:
    """The fonts Chromium drew the element's text with (DevTools' "Rendered Fonts")."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        return list(cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"])
    finally:
        cdp.detach()


def glyph_inks(page: Any, selector: str) -> dict[str, Ink]:
    """Each glyph's ink rows, from a screenshot of the heading, relative to its own box's top
    (every box in a heading has the same height and baseline, whichever line it is on)."""
    heading = page.locator(selector)
    heading.scroll_into_view_if_needed()
    dark = np.asarray(Image.open(io.BytesIO(heading.screenshot())).convert("L")) < 128
    boxes = heading.evaluate(
        """(h) => { const o = h.getBoundingClientRect();
                    return [...h.children].map((s) => { const r = s.getBoundingClientRect();
                      return [s.textContent, r.top - o.top, r.bottom - o.top,
                              r.left - o.left, r.right - o.left]; }); }"""
    )
    inks = {}
    for glyph, top, bottom, left, right in boxes:
        box = dark[round(top) : round(bottom), round(left) : round(right)]
        rows = np.flatnonzero(box.any(axis=1))
        assert rows.size, f"{glyph!r} left no ink in {selector}"
        inks[glyph] = (int(rows[0]), int(rows[-1]))
    return inks


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("weight", WEIGHTS)
def test_every_glyph_is_drawn_by_the_apps_own_font(
    glyph_page: Any, family: str, weight: str
) -> None:
    # One web font draws every glyph: none is left to a system font for want of it.
    fonts = fonts_drawing(glyph_page, f"#nq-glyphs-{family}-{weight}")
    assert len(fonts) == 1 and fonts[0]["isCustomFont"], fonts
    assert fonts[0]["glyphCount"] == len(GLYPHS)


def test_the_ask_button_is_drawn_by_one_font(glyph_page: Any) -> None:
    fonts = fonts_drawing(glyph_page, "#nq-send")
    assert len(fonts) == 1 and fonts[0]["isCustomFont"], fonts


@pytest.mark.parametrize("family", FAMILIES)
def test_capitals_stand_as_tall_as_h_in_bold_and_regular(glyph_page: Any, family: str) -> None:
    regular = glyph_inks(glyph_page, f"#nq-glyphs-{family}-regular")
    for weight in WEIGHTS:
        inks = glyph_inks(glyph_page, f"#nq-glyphs-{family}-{weight}")
        cap_top, baseline = inks["H"]
        cap_height = baseline - cap_top
        assert cap_height > 0.5 * SIZE, (weight, inks["H"])
        # Every capital and digit reaches the cap height (A and B were short of it: "ᴀsk").
        for glyph in string.ascii_uppercase + string.digits:
            assert abs(inks[glyph][0] - cap_top) <= TOLERANCE, (weight, glyph, inks[glyph], cap_top)
        # Every glyph is as tall as the same glyph in the regular weight, within a stroke's
        # difference: no glyph is drawn by a font of another size.
        for glyph in GLYPHS:
            height = inks[glyph][1] - inks[glyph][0]
            reference = regular[glyph][1] - regular[glyph][0]
            assert abs(height - reference) <= TOLERANCE, (weight, glyph, height, reference)
