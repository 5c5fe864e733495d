"""The trained answer model that ships in the package, and what happens when it is missing."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.errors import ModelUnavailableError
from qa.answer_model import MODEL_FILE, AnswerModel
from qa.candidates import FEATURE_SIGNS, FEATURES, READER_FEATURES
from tests.conftest import ROOT


def test_the_shipped_model_names_its_data_split_and_keeps_its_signs() -> None:
    model = AnswerModel.load()
    assert model.features == FEATURES
    card = model.card
    assert card["trained_by"] == "python -m bench.train_answerer"
    assert "MultiHop-RAG" in card["data"]["multihop"] and "RGB" in card["data"]["rgb"]
    assert "train" in card["split"]
    for name, weight in zip(FEATURES, model.coef, strict=True):
        assert FEATURE_SIGNS[name] * weight >= 0, name
    assert 0 < model.decline_below < model.short_answer_above < 1
    assert MODEL_FILE.stat().st_size < 20_000  # small, plain JSON, versioned with the code


def test_probabilities_follow_the_features() -> None:
    model = AnswerModel.load()
    weak = np.zeros((1, len(FEATURES)))
    strong = weak.copy()
    for name in ("semantic", "lexical", "content_share", "name_share", "type_near"):
        strong[0, FEATURES.index(name)] = 1.0
    low, high = model.probabilities(np.vstack([weak, strong]))
    assert 0 <= low < high <= 1
    assert model.probabilities(np.zeros((0, len(FEATURES)))).shape == (0,)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "is missing"),
        ("{not json", "can't be read"),
        (json.dumps({"features": ["semantic"], "mean": [0], "scale": [1], "coef": [1],
                     "intercept": 0, "decline_below": 0.1, "keep_within": 0.1,
                     "short_answer_above": 0.5}), "trained on other features"),
    ],
)  # fmt: skip
def test_a_missing_or_stale_model_says_how_to_retrain(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "answer_model.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ModelUnavailableError, match=message) as raised:
        AnswerModel.read(path)
    assert "python -m bench.train_answerer" in str(raised.value)


def test_untrained_model_scores_every_candidate_alike() -> None:
    rows = np.random.default_rng(0).normal(size=(5, len(FEATURES)))
    assert np.allclose(AnswerModel.untrained().probabilities(rows), 0.5)
    assert not math.isnan(AnswerModel.untrained().decline_below)


def test_answering_never_imports_spacy_or_torch(seed_index) -> None:  # type: ignore[no-untyped-def]
    # The recogniser runs at index time; a question needs only the stored entities. Cold `newsqa
    # ask` stays under its 2 s budget because neither heavy library is imported.
    code = (
        "import sys; from index.settings import Settings; from qa.pipeline import Pipeline; "
        f"p = Pipeline.load(Settings(index_dir={str(seed_index.index_dir)!r})); "
        "a = p.ask('When did Kim Jong Un leave Pyongyang for Russia?'); "
        "print(sorted(m for m in ('spacy', 'torch', 'sentence_transformers') if m in sys.modules))"
    )
    # The first load exports the ONNX model into the index folder (with torch), once.
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, check=True)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_shipped_model_gives_the_reader_no_weight_and_a_reading_model_reads_by_its_unread_part() -> (
    None
):
    model = AnswerModel.load()
    reader = [FEATURES.index(name) for name in READER_FEATURES]
    # Trained with the reader, the test halves fell (docs/evaluation.md): it ships without.
    assert model.unread is None and not model.coef[reader].any()
    reading = AnswerModel(**{**model.__dict__, "coef": model.coef + 0.5, "unread": model})
    rows = np.random.default_rng(0).normal(size=(6, len(FEATURES)))
    changed = rows.copy()
    changed[:, reader] += 5.0
    # What the reader says can't change which candidates it is given to read.
    assert np.allclose(reading.prior(rows), reading.prior(changed))
    assert not np.allclose(reading.probabilities(rows), reading.probabilities(changed))
    again = AnswerModel.from_json(json.loads(json.dumps(reading.to_json())))
    assert again.unread is not None
    assert np.allclose(again.prior(rows), reading.prior(rows))
    assert np.allclose(again.probabilities(rows), reading.probabilities(rows))


def test_a_yes_no_question_has_its_own_decline_bar_that_survives_the_file() -> None:
    model = AnswerModel.load()
    checks = AnswerModel(**{**model.__dict__, "decline_below_yes_no": 0.01})
    assert checks.decline_bar(yes_no=True) == 0.01
    assert checks.decline_bar(yes_no=False) == model.decline_below
    again = AnswerModel.from_json(json.loads(json.dumps(checks.to_json())))
    assert again.decline_bar(yes_no=True) == 0.01
    # A model without one declines every question at the same bar.
    plain = AnswerModel(**{**model.__dict__, "decline_below_yes_no": None})
    assert AnswerModel.from_json(plain.to_json()).decline_bar(yes_no=True) == model.decline_below
