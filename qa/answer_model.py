"""The learned answer model: the probability that a candidate sentence answers the question.

A logistic regression over the candidate features (qa.candidates.FEATURES), trained by
`python -m bench.train_answerer` on public data (MultiHop-RAG and RGB train halves) and saved
beside this file as plain JSON: the weights, the feature scaling, and the decline threshold,
claim margin and short-answer threshold chosen on the train split. That file names its data, split and test figures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from index.errors import ModelUnavailableError
from qa.candidates import FEATURES, READER_FEATURES

MODEL_FILE = Path(__file__).with_name("answer_model.json")


@dataclass(frozen=True)
class LinearModel:
    """A logistic regression over named features, as a trained model's file stores it: the
    features' scaling, their weights and the intercept (qa.answer_model, qa.verdict)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def _logistic(self, rows: np.ndarray, coef: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        logits = ((rows - self.mean) / self.scale) @ coef + self.intercept
        probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
        return probabilities


@dataclass(frozen=True)
class AnswerModel(LinearModel):
    # Decline when no candidate reaches this probability (chosen on the train split).
    decline_below: float
    # A further claim joins the answer when its probability is within this of the best one.
    keep_within: float
    # The thing asked for is put first, in bold, only from a sentence at least this likely.
    short_answer_above: float
    card: dict[str, Any]  # what it was trained on, and the figures it reached
    # The model without the reader (trained first, on the same questions unread): it picks the
    # candidates the reader reads, so that reading is chosen in use as it was in training.
    unread: AnswerModel | None = None
    # The decline bar for a question answered yes or no ("Did The Verge report it before
    # TechCrunch?"), chosen on its own: such a check is answered by quoting both reports, whose
    # sentences rarely state it as one sentence answers "who"; None: as `decline_below`.
    decline_below_yes_no: float | None = None

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> AnswerModel:
        """The model in `path`, read once per process (an upload swaps in a new pipeline, not a
        new model)."""
        return _load(path)

    @classmethod
    def read(cls, path: Path) -> AnswerModel:
        def fits(model: AnswerModel) -> bool:
            return all(
                part.features == FEATURES
                and len(part.mean) == len(part.scale) == len(part.coef) == len(FEATURES)
                for part in (model, model.unread)
                if part is not None
            )

        return read_model_file(path, "answer model", "bench.train_answerer", cls.from_json, fits)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnswerModel:
        return cls(
            **linear_from_json(data),
            decline_below=float(data["decline_below"]),
            keep_within=float(data["keep_within"]),
            short_answer_above=float(data["short_answer_above"]),
            card=dict(data.get("card", {})),
            unread=cls.from_json(data["unread"]) if data.get("unread") else None,
            decline_below_yes_no=(
                float(data["decline_below_yes_no"])
                if data.get("decline_below_yes_no") is not None
                else None
            ),
        )

    @classmethod
    def untrained(cls) -> AnswerModel:
        """Every candidate at probability 0.5: for computing features before a model exists."""
        zeros = np.zeros(len(FEATURES))
        return cls(FEATURES, zeros, np.ones(len(FEATURES)), zeros, 0.0, 0.5, 0.0, 1.0, {})

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return self._logistic(rows, self.coef)

    def prior(self, rows: np.ndarray) -> np.ndarray:
        """Probabilities from every feature but the reader's: which candidates are worth reading.
        The model trained without the reader where there is one; else this one's weights with
        the reader's left out (they then count as their train mean)."""
        if self.unread is not None:
            return self.unread.probabilities(rows)
        coef = self.coef.copy()
        for name in READER_FEATURES:
            coef[FEATURES.index(name)] = 0.0
        return self._logistic(rows, coef)

    def to_json(self) -> dict[str, Any]:
        return {
            **linear_to_json(self),
            "decline_below": round(self.decline_below, 4),
            "keep_within": round(self.keep_within, 4),
            "short_answer_above": round(self.short_answer_above, 4),
            "card": self.card,
            **({"unread": self.unread.to_json()} if self.unread is not None else {}),
            **(
                {"decline_below_yes_no": round(self.decline_below_yes_no, 4)}
                if self.decline_below_yes_no is not None
                else {}
            ),
        }

    def decline_bar(self, yes_no: bool) -> float:
        """The probability under which a question of this form is declined."""
        if yes_no and self.decline_below_yes_no is not None:
            return self.decline_below_yes_no
        return self.decline_below


Model = TypeVar("Model")


def read_model_file(
    path: Path,
    what: str,
    trainer: str,
    build: Callable[[dict[str, Any]], Model],
    fits: Callable[[Model], bool],
) -> Model:
    """A trained model's JSON file as `build` makes it, or a clear error naming the file and
    the command that trains it again: missing, unreadable, or trained on other features (the
    `fits` check)."""
    retrain = f"Train it again with: python -m {trainer}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        model = build(data)
    except FileNotFoundError:
        raise ModelUnavailableError(f"The {what} {path} is missing. {retrain}") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelUnavailableError(
            f"The {what} {path} can't be read ({error}). {retrain}"
        ) from None
    if not fits(model):
        raise ModelUnavailableError(
            f"The {what} {path} was trained on other features than this newsqa computes. {retrain}"
        )
    return model


def linear_from_json(data: dict[str, Any]) -> dict[str, Any]:
    """A logistic regression's part of a model file: features, scaling, weights, intercept."""
    return {
        "features": tuple(data["features"]),
        "mean": np.asarray(data["mean"], dtype=np.float64),
        "scale": np.asarray(data["scale"], dtype=np.float64),
        "coef": np.asarray(data["coef"], dtype=np.float64),
        "intercept": float(data["intercept"]),
    }


def linear_to_json(model: LinearModel) -> dict[str, Any]:
    return {
        "features": list(model.features),
        "mean": [round(float(v), 6) for v in model.mean],
        "scale": [round(float(v), 6) for v in model.scale],
        "coef": [round(float(v), 6) for v in model.coef],
        "intercept": round(model.intercept, 6),
    }


@lru_cache(maxsize=4)
def _load(path: Path) -> AnswerModel:
    return AnswerModel.read(path)
