"""Outlet and publication date read from the datelines, bylines and time stamps newsrooms write."""

import pytest

from index.metadata import describe_text

STORY = "Officials said repairs to the bridge would start in June and take two years."


@pytest.mark.parametrize(
    ("first_lines", "outlet", "published"),
    [
        # Reuters: city, with its state or country, the date, the wire.
        (f"PORTLAND, Maine, March 4, 2024 (Reuters) - {STORY}", "Reuters", "2024-03-04"),
        (f"WASHINGTON, Oct. 3 (Reuters) - {STORY}", "Reuters", "--10-03"),
        (f"KYIV, Ukraine, Feb 24, 2023 (Reuters) - {STORY}", "Reuters", "2023-02-24"),
        (f"LONDON (Reuters) - {STORY}", "Reuters", None),
        # AP: city (and state) then the wire, with a long dash; its time stamp line.
        (f"Published 10:32 AM EST, Mon March 4, 2024\n\nPORTLAND, Maine (AP) — {STORY}",
         "AP", "2024-03-04"),
        (f"Updated 3:15 PM EST, March 5, 2024\n\nWASHINGTON (AP) — {STORY}", "AP", "2024-03-05"),
        # AFP, in capitals or not.
        (f"PARIS, March 4, 2024 (AFP) - {STORY}", "AFP", "2024-03-04"),
        (f"Paris (AFP) - {STORY}", "AFP", None),
        # Bloomberg: no city, a double hyphen; its stamp "March 4, 2024 at 10:32 AM EST".
        (f"March 4, 2024 at 10:32 AM EST\n\n(Bloomberg) -- {STORY}", "Bloomberg", "2024-03-04"),
        # CNN writes its name without brackets after the city.
        (f"Updated 10:32 AM EST, Mon March 4, 2024\n\nWashington CNN — {STORY}", "CNN",
         "2024-03-04"),
        # BBC and the Guardian: a stamp line, the outlet in the byline.
        (f"Published 4 March 2024\n\nBy Jane Doe, BBC News\n\n{STORY}", "BBC News", "2024-03-04"),
        (f"Mon 4 Mar 2024 10.32 GMT\n\nBy Jane Doe | The Guardian\n\n{STORY}", "The Guardian",
         "2024-03-04"),
        (f"By Jane Doe and John Roe (AP)\n\n{STORY}", "AP", None),
        # TASS's form, as before.
        (f"MOSCOW, September 12. /TASS/. {STORY}", "TASS", "--09-12"),
    ],
)  # fmt: skip
def test_datelines_bylines_and_stamps_give_the_outlet_and_date(
    first_lines: str, outlet: str, published: str | None
) -> None:
    described = describe_text(f"Bridge repairs approved\n\n{first_lines}\n\nMore follows.")
    assert (described.outlet, described.published) == (outlet, published)
    assert described.headline == "Bridge repairs approved"


@pytest.mark.parametrize(
    "line",
    [
        # A story's own sentences with a date in them are events, not the publication date.
        "On 4 March 2024 the firm said it would cut jobs.",
        "The vote is on March 4, 2024 at the town hall, officials said.",
        # A byline with a job title names no outlet.
        "By Jane Doe, Senior Reporter",
        # A game guide's "Name (Place) — effect" line is not a dateline (MultiHop-RAG, Polygon).
        "Recharging Aspect (Zenith in Fractured Peaks) — Each time Chain Lightning bounces off you",
    ],
)
def test_sentences_with_dates_and_titled_bylines_are_not_read_as_stamps(line: str) -> None:
    described = describe_text(f"Bridge repairs approved\n\n{line}\n\n{STORY}")
    assert described.published is None and described.outlet is None


@pytest.mark.parametrize(
    "above", ["By Jane Doe", "By Jane Doe, Senior Reporter", "By Coast Courier staff",
              "Published 10:32 AM EST, Mon March 4, 2024"],
)  # fmt: skip
def test_a_byline_or_stamp_above_the_headline_is_not_the_headline(above: str) -> None:
    assert describe_text(f"{above}\n\nBridge repairs approved\n\n{STORY}").headline == (
        "Bridge repairs approved"
    )
