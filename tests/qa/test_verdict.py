"""Checks that compare reports: each named report found and cited, the order its dates give.

Real index, real embedding model, real answer and verdict models, on short reports written for
these tests: two outlets report one recall three days apart; a third outlet, indexed, never
mentions it.
"""

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from index.embed import Embedder
from index.errors import ModelUnavailableError
from qa.pipeline import Pipeline
from qa.verdict import FEATURES, NamedReport, VerdictModel, claimed_order, day_named
from tests.qa.stories import pipeline_of
from ui.export import answer_markdown

STORIES = [
    ("https://valleytribune.example.com/2025/03/02/orbix-recall", "Valley Tribune",
     "2025-03-02T09:00:00", "Orbix recalls 40,000 e-bikes over battery fires",
     "Orbix recalled 40,000 electric bikes on Sunday after reports of battery fires in three "
     "cities. The company said owners should stop charging the bikes at once."),
    ("https://coastledger.example.com/2025/03/05/orbix-recall-widens", "Coast Ledger",
     "2025-03-05T15:30:00", "Orbix widens its e-bike recall",
     "Orbix said on Wednesday that its recall of electric bikes over battery fires now covers "
     "52,000 bikes. Regulators had asked the company to include older models."),
    ("https://harborgazette.example.com/2025/03/04/regatta", "Harbor Gazette",
     "2025-03-04T12:00:00", "Nordic crew wins the spring regatta",
     "A Nordic crew won the spring regatta on the harbour on Tuesday, ahead of two local "
     "boats. Light winds slowed the final race."),
]  # fmt: skip
AS_OF = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Pipeline:
    return pipeline_of(STORIES, tmp_path_factory.mktemp("verdicts"), embedder)


def test_the_reports_a_check_names_are_read_in_its_order_with_their_days(
    reports: Pipeline,
) -> None:
    named = reports.verdicts.named_reports(
        "Did the Coast Ledger report on March 5, 2025 widen what the Valley Tribune reported?"
    )
    assert [(r.outlet, r.day) for r in named] == [
        ("Coast Ledger", dt.date(2025, 3, 5)),
        ("Valley Tribune", None),
    ]
    assert reports.verdicts.named_reports("Did Orbix recall its e-bikes?") == []


@pytest.mark.parametrize(
    ("question", "order"),
    [
        ("Did A report it before B did?", (0, 1)),
        ("Did A report it after B did?", (1, 0)),
        ("After A reported it, did B report more?", (0, 1)),
        ("Before A reported it, did B report it?", (1, 0)),
        ("Did A and B both report it?", None),
    ],
)
def test_the_order_a_check_claims(question: str, order: tuple[int, int] | None) -> None:
    named = [
        NamedReport("A", question.index(" A ") + 1),
        NamedReport("B", question.index(" B") + 1),
    ]
    assert claimed_order(question, named) == order


def test_a_day_is_read_only_with_its_year() -> None:
    assert day_named(" report on October 7, 2023, said") == dt.date(2023, 10, 7)
    assert day_named(" report on October 7 said") is None


def test_an_order_check_cites_both_reports_and_reads_their_dates(reports: Pipeline) -> None:
    right = "Did the Valley Tribune report the Orbix e-bike recall before the Coast Ledger did?"
    wrong = "Did the Coast Ledger report the Orbix e-bike recall before the Valley Tribune did?"
    answer = reports.ask(right, as_of=AS_OF)
    assert answer.asks_yes_no and not answer.abstained
    # Both reports are quoted and cited, in the question's order, each from its own outlet.
    assert len(answer.compared) == 2
    by_marker = {c.n: c for c in answer.citations}
    assert [by_marker[n].source for n in answer.compared] == ["Valley Tribune", "Coast Ledger"]
    assert all("recall" in by_marker[n].text for n in answer.compared)
    line = answer.answer.split("\n\n")[0]
    assert "Valley Tribune, 2 March 2025" in line and "Coast Ledger, 5 March 2025" in line
    assert line.endswith("Valley Tribune's came first, 3 days before Coast Ledger's.")
    assert answer.paragraphs.lead[0] == line and len(answer.paragraphs.lead) == 3
    # The dates are in the order the first check claims, against the second's.
    held = reports.check(reports.retrieve(right, as_of=AS_OF))
    broken = reports.check(reports.retrieve(wrong, as_of=AS_OF))
    assert held is not None and broken is not None
    assert held.features["order_agrees"] == 1.0 and broken.features["order_agrees"] == -1.0
    if reports.verdicts.model.decides:
        assert held.probability is not None and broken.probability is not None
        assert held.probability > broken.probability
    else:
        assert held.probability is None and answer.yes_no_probability is None
    # The export leads with the verdict, or says none was decided, above the same line.
    articles = {c.doc_id: reports.index.articles[c.doc_id] for c in answer.citations}
    exported = answer_markdown(right, answer, articles)
    verdict = answer.verdict or ""
    assert verdict in exported and "Valley Tribune, 2 March 2025" in exported
    assert exported.index(verdict) < exported.index("Valley Tribune, 2 March 2025")
    # Where a verdict is given, it is the right one.
    assert answer.yes_no in {"yes", None}
    swapped = reports.ask(wrong, as_of=AS_OF)
    assert swapped.yes_no in {"no", None}
    # The same dates, said the same way, whichever order the question claims.
    assert swapped.answer.split("\n\n")[0].endswith(
        "Valley Tribune's came first, 3 days before Coast Ledger's."
    )


def test_a_named_report_not_found_is_said_and_nothing_is_decided(reports: Pipeline) -> None:
    answer = reports.ask(
        "Did the Harbor Gazette report the Orbix e-bike recall before the Valley Tribune did?",
        as_of=AS_OF,
    )
    assert answer.yes_no is None and answer.yes_no_probability is None
    assert answer.answer.startswith("No report from Harbor Gazette on this was found")
    assert answer.verdict is not None and answer.verdict.startswith("Not answered yes or no")
    # What the other report says is still quoted; nothing stands as the Gazette's report.
    assert any(c.source == "Valley Tribune" for c in answer.citations)
    assert answer.compared == []


def test_a_verdict_model_that_cannot_be_read_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="is missing"):
        VerdictModel.read(tmp_path / "absent.json")
    garbled = tmp_path / "garbled.json"
    garbled.write_text("{not json")
    with pytest.raises(ModelUnavailableError, match="can't be read"):
        VerdictModel.read(garbled)
    shipped = VerdictModel.load().to_json()
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**shipped, "features": list(FEATURES[:-1])}))
    with pytest.raises(ModelUnavailableError, match="other features"):
        VerdictModel.read(other)


def test_the_shipped_verdict_model_decides_only_beyond_its_bars() -> None:
    model = VerdictModel.load()
    assert model.features == FEATURES and np.all(model.scale > 0)
    assert model.card["trained_by"] == "python -m bench.train_verdict"
    bars = model.bars
    if bars.no_below is not None:
        assert model.decide(bars.no_below) == "no"
        above = bars.no_below + 1e-6
        decided = "yes" if bars.yes_above is not None and above >= bars.yes_above else None
        assert model.decide(above) == decided
    if bars.yes_above is not None:
        assert model.decide(bars.yes_above) == "yes"
